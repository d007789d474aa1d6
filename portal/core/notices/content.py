"""What a notice says, and how each way shows it: an e-mail's subject and body, a LINE WORKS Flexible Template (a
bubble: the title, the text, a button per link, and the `altText` push notifications show), and a team room's
Incoming Webhook post (a title and a text, links written out: the app shows no buttons)."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.conf import settings
from django.utils.translation import gettext as _

from portal.core.models import Notice

#: The most each message may hold (contract/messaging.yaml): a flexible template's altText, an action's label, a
#: text component (as a text message's), a Webhook post's title and text.
ALT_TEXT_MOST = 400
LABEL_MOST = 20
TEXT_MOST = 2000
WEBHOOK_TITLE_MOST = 200
#: At most this many buttons under a notice (the first opens the page it is about).
LINKS_MOST = 3


@dataclass(frozen=True)
class Message:
    """A notice's words in one language. `url`: the page it is about (a path or an absolute address); `label`: its
    button's words (default: "Open in the portal"); `links`: further buttons, `(label, url)`."""

    title: str
    text: str
    url: str = ""
    label: str = ""
    links: tuple[tuple[str, str], ...] = field(default=())


def absolute(url: str) -> str:
    return f"{settings.PORTAL_BASE_URL}{url}" if url.startswith("/") else url


def buttons(notice: Notice) -> list[tuple[str, str]]:
    """The notice's buttons, `(label, absolute url)`, the page it is about first."""
    shown = []
    if notice.url:
        shown.append((notice.links[0]["label"] if notice.links else _("Open in the portal"), notice.url))
    shown += [(link["label"], link["url"]) for link in notice.links[1:]]
    return shown[:LINKS_MOST]


def stored_links(message: Message) -> list[dict]:
    """`Notice.links` of a message: the first button's label, then the further buttons."""
    if not message.url:
        return []
    first = [{"label": message.label or _("Open in the portal"), "url": absolute(message.url)}]
    return first + [{"label": label, "url": absolute(url)} for label, url in message.links]


def email_body(notice: Notice) -> str:
    lines = [notice.text, ""]
    lines += [f"{label}: {url}" for label, url in buttons(notice)]
    return "\n".join(lines).strip() + "\n"


def webhook_post(notice: Notice) -> tuple[str, str]:
    """The title and the text of a team room's post."""
    links = "\n".join(f"{label}: {url}" for label, url in buttons(notice))
    text = f"{notice.text}\n\n{links}" if links else notice.text
    if len(text) > TEXT_MOST:
        text = f"{notice.text[: TEXT_MOST - len(links) - 3]}…\n\n{links}"
    return notice.title[:WEBHOOK_TITLE_MOST], text[:TEXT_MOST]


def line_works_content(notice: Notice) -> dict:
    """A Flexible Template: the title in bold, the text, and one button per link opening the portal."""
    alt = f"{notice.title}\n{notice.text}"
    body = [{"type": "text", "text": notice.text[:TEXT_MOST], "wrap": True, "size": "sm"}]
    bubble: dict = {
        "type": "bubble",
        "header": {
            "type": "box",
            "layout": "vertical",
            "contents": [{"type": "text", "text": notice.title, "weight": "bold", "wrap": True}],
        },
        "body": {"type": "box", "layout": "vertical", "contents": body},
    }
    actions = [
        {
            "type": "button",
            "style": "primary" if index == 0 else "secondary",
            "height": "sm",
            "action": {"type": "uri", "label": label[:LABEL_MOST], "uri": url},
        }
        for index, (label, url) in enumerate(buttons(notice))
    ]
    if actions:
        bubble["footer"] = {"type": "box", "layout": "vertical", "spacing": "sm", "contents": actions}
    return {
        "type": "flex",
        "altText": alt if len(alt) <= ALT_TEXT_MOST else f"{alt[: ALT_TEXT_MOST - 1]}…",
        "contents": bubble,
    }
