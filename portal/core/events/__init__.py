"""Events out: what happened in the portal, sent to the partner's own systems as the Standard Webhooks
specification describes (issue 56). `types` (what may be sent, contributed by the rooms), `outbox` (`emit`, in
the transaction of the work), `delivery` (signed, retried for about a day, addresses checked), `endpoints` (the
Admins' endpoints, their secrets and replays), `views` (the Event endpoints page)."""
