"""Notices: what the portal tells people outside its pages, by e-mail, by the bot in LINE WORKS, or in a team's
LINE WORKS room (issue 56). `kinds` (what may be told, contributed by the rooms), `choices` (who is told what and
how; `tell`), `content` (what each way shows), `delivery` (at most once, with retries), `rooms` (team rooms),
`views` (the person's Notices page and the Admins' Team rooms page)."""
