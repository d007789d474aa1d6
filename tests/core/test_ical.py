"""The iCalendar writer (RFC 5545): TEXT escaping, folding at 75 octets without splitting a character, CRLF,
all-day events. Read back with a small unfolding reader written from the RFC, not from the writer."""

from __future__ import annotations

import datetime as dt

import pytest

from portal.core.ical import AllDayEvent, calendar_lines, escape_text, fold


def unfold(data: bytes) -> list[str]:
    """RFC 5545 3.1: remove every CRLF followed by one space or tab, then split the content lines."""
    assert data.endswith(b"\r\n")
    text = data.replace(b"\r\n ", b"").replace(b"\r\n\t", b"").decode("utf-8")
    return text.split("\r\n")[:-1]


def unescape(value: str) -> str:
    out, chars = [], iter(value)
    for c in chars:
        if c == "\\":
            n = next(chars)
            out.append("\n" if n in "nN" else n)
        else:
            out.append(c)
    return "".join(out)


@pytest.mark.parametrize(
    ("raw", "escaped"),
    [
        ("a,b;c\\d", "a\\,b\\;c\\\\d"),
        ("two\nlines\r\nthree", "two\\nlines\\nthree"),
        ("株式会社みどり", "株式会社みどり"),
    ],
)
def test_text_values_are_escaped(raw, escaped):
    assert escape_text(raw) == escaped
    assert unescape(escaped) == raw.replace("\r\n", "\n")


@pytest.mark.parametrize(
    "line",
    [
        "SUMMARY:" + "x" * 300,  # ASCII
        "SUMMARY:" + "緑" * 100,  # 3 octets a character: never split
        "DESCRIPTION:" + ("a緑b🍣" * 40),  # mixed widths, 4-octet characters too
        "SUMMARY:" + "x" * 67,  # exactly 75 octets: not folded
    ],
)
def test_long_lines_are_folded_at_75_octets_without_splitting_a_character(line):
    data = fold(line).encode()
    physical = data.split(b"\r\n")[:-1]
    assert all(len(p) <= 75 for p in physical)
    assert all(p.startswith(b" ") for p in physical[1:])
    for p in physical:
        p.decode("utf-8")  # each physical line is whole characters
    assert unfold(data) == [line]
    if len(line.encode()) <= 75:
        assert len(physical) == 1
    else:
        assert len(physical[0]) >= 72  # folded as late as the characters allow (<= 3 octets short)


def test_calendar_of_all_day_events():
    events = [
        AllDayEvent(
            uid="pre_order-1@partner-portal",
            day=dt.date(2026, 12, 31),
            summary="Pre-order: Midori, Inc.; Tokyo",
            description="New subscription\nLast day to change: 2026-12-30",
            url="https://portal.example/customers/1/#section-subscriptions",
            categories=("Pre-order",),
        )
    ]
    stamp = dt.datetime(2026, 11, 20, 16, 0, tzinfo=dt.UTC)
    data = "".join(
        calendar_lines(events, name="Scheduled changes", stamp=stamp, product="-//Test//EN")
    ).encode()
    lines = unfold(data)
    assert lines[0] == "BEGIN:VCALENDAR" and lines[-1] == "END:VCALENDAR"
    assert "VERSION:2.0" in lines and "PRODID:-//Test//EN" in lines
    event = lines[lines.index("BEGIN:VEVENT") + 1 : lines.index("END:VEVENT")]
    props = dict(line.split(":", 1) for line in event)
    assert props["UID"] == "pre_order-1@partner-portal"
    assert props["DTSTAMP"] == "20261120T160000Z"
    assert props["DTSTART;VALUE=DATE"] == "20261231"
    assert props["DTEND;VALUE=DATE"] == "20270101"  # exclusive: the next day
    assert unescape(props["SUMMARY"]) == "Pre-order: Midori, Inc.; Tokyo"
    assert props["SUMMARY"] == "Pre-order: Midori\\, Inc.\\; Tokyo"
    assert unescape(props["DESCRIPTION"]) == "New subscription\nLast day to change: 2026-12-30"
    assert props["URL"] == "https://portal.example/customers/1/#section-subscriptions"  # a URI: not escaped
