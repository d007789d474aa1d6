"""A small iCalendar (RFC 5545) writer for downloads of all-day events, its streamed response, and the response
of a calendar that apps subscribe to (`subscribed_response`: ETag, Last-Modified, 304, Cache-Control).

Written here rather than taken from a library: the portal only writes (never parses) calendars of all-day
events without time zones or recurrence, which is a few properties, TEXT escaping (RFC 5545 3.3.11) and line
folding (3.1). Lines end in CRLF and are folded at 75 octets without splitting a UTF-8 character, so Japanese
company names survive any reader that unfolds as the RFC says.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.utils import timezone
from django.utils.cache import get_conditional_response
from django.utils.http import http_date, quote_etag

LINE_OCTETS = 75
CRLF = "\r\n"
CONTENT_TYPE = "text/calendar; charset=utf-8"
#: A subscribed calendar is one person's (its address is a secret): no shared cache may keep it, and a client
#: may reuse what it has for a quarter of an hour before asking again (then mostly getting 304).
SUBSCRIBED_CACHE_CONTROL = "private, max-age=900"


@dataclass(frozen=True)
class AllDayEvent:
    uid: str
    day: dt.date
    summary: str
    description: str = ""
    url: str = ""
    categories: tuple[str, ...] = ()


def escape_text(value: str) -> str:
    """A TEXT value: backslash, semicolon and comma escaped, line breaks as \\n."""
    return (
        value.replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\r", "\\n")
        .replace("\n", "\\n")
    )


def fold(line: str) -> str:
    """One content line, folded: no physical line longer than 75 octets (UTF-8), each continuation starting
    with a space; characters are never split. Ends with CRLF."""
    octets = len(line.encode())
    if octets <= LINE_OCTETS:
        return line + CRLF
    if octets == len(line):  # ASCII: one octet per character
        step = LINE_OCTETS - 1
        parts = [line[:LINE_OCTETS], *(line[i : i + step] for i in range(LINE_OCTETS, len(line), step))]
        return (CRLF + " ").join(parts) + CRLF
    current: list[str] = []
    parts, size = [], 0
    for char in line:
        width = len(char.encode())
        # The first physical line holds 75 octets; continuations 74 after their leading space.
        limit = LINE_OCTETS if not parts else LINE_OCTETS - 1
        if size + width > limit:
            parts.append("".join(current))
            current, size = [], 0
        current.append(char)
        size += width
    parts.append("".join(current))
    return (CRLF + " ").join(parts) + CRLF


def _date(day: dt.date) -> str:
    return day.strftime("%Y%m%d")


def calendar_lines(
    events: Iterable[AllDayEvent], *, name: str, stamp: dt.datetime | None = None, product: str
) -> Iterator[str]:
    """The VCALENDAR, a folded line at a time. `stamp` (DTSTAMP, UTC) defaults to now: a download is made now;
    a subscribed feed passes the time its content last changed, so that the same data reads the same."""
    dtstamp = (stamp or timezone.now()).astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    yield from (
        fold("BEGIN:VCALENDAR"),
        fold("VERSION:2.0"),
        fold(f"PRODID:{product}"),
        fold("CALSCALE:GREGORIAN"),
        fold("METHOD:PUBLISH"),
        fold(f"X-WR-CALNAME:{escape_text(name)}"),
    )
    for event in events:
        yield fold("BEGIN:VEVENT")
        yield fold(f"UID:{event.uid}")
        yield fold(f"DTSTAMP:{dtstamp}")
        yield fold(f"DTSTART;VALUE=DATE:{_date(event.day)}")
        # All-day: DTEND is exclusive, the next day.
        yield fold(f"DTEND;VALUE=DATE:{_date(event.day + dt.timedelta(days=1))}")
        yield fold(f"SUMMARY:{escape_text(event.summary)}")
        if event.description:
            yield fold(f"DESCRIPTION:{escape_text(event.description)}")
        if event.categories:
            yield fold("CATEGORIES:" + ",".join(escape_text(c) for c in event.categories))
        if event.url:
            # URL is of type URI, not TEXT: not escaped.
            yield fold(f"URL:{event.url}")
        yield fold("TRANSP:TRANSPARENT")
        yield fold("END:VEVENT")
    yield fold("END:VCALENDAR")


def ical_response(lines: Iterator[str], *, name: str) -> StreamingHttpResponse:
    """A streamed download of `lines`, named `<name>-<UTC timestamp>.ics`."""
    response = StreamingHttpResponse((line.encode() for line in lines), content_type=CONTENT_TYPE)
    stamp = timezone.now().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="{name}-{stamp}.ics"'
    return response


def subscribed_response(
    request: HttpRequest, body: bytes, *, changed_at: dt.datetime, name: str
) -> HttpResponseBase:
    """A calendar that apps poll by URL, as a good HTTP citizen: `body` with a strong ETag (its digest) and
    Last-Modified (`changed_at`, when its content last changed), `Cache-Control: private`, and 304 Not
    Modified, without the body, to a conditional request (If-None-Match, or If-Modified-Since) that already
    holds this version. The file name is stable (`<name>.ics`): the calendar is the same resource on each poll.
    HEAD gets the same headers (the server leaves the body out)."""
    etag = quote_etag(hashlib.sha256(body).hexdigest()[:32])
    last_modified = int(changed_at.timestamp())
    response = HttpResponse(body, content_type=CONTENT_TYPE)
    response["ETag"] = etag
    response["Last-Modified"] = http_date(last_modified)
    response["Cache-Control"] = SUBSCRIBED_CACHE_CONTROL
    response["Content-Disposition"] = f'inline; filename="{name}.ics"'
    # Given a response, the check hands back it, a 304 or a 412: never None.
    return (
        get_conditional_response(request, etag=etag, last_modified=last_modified, response=response)
        or response
    )
