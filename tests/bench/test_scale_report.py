"""The scale guard's verdict (`bench.scale.report`): a page grows past the buffers' bound and fails the run, a
reference never does, and a page with more items (rows, entries, choices) is said to show more at the large
size: judged from the first reference (the small size with the large one's history, then each medium size with
it) where it shows as much, else the one where it shows the most, by a bar lower the nearer that reference is to
the large size; from the small size without references. No database, no
timing: the figures are given, as `measure_pages` gives them (SQL, buffers, bytes, rows handled, items shown)."""

from __future__ import annotations

import pytest

from bench.pages import Page
from bench.scale import _arguments, report

SIZES = ["1,000 customers", "50,000 customers"]


def _figures(**pages: tuple[tuple[int, ...], tuple[int, ...]]) -> dict:
    return {size: {label: figures[n] for label, figures in pages.items()} for n, size in enumerate(SIZES)}


def _lines(out: str, labels) -> dict[str, str]:
    """The report's line of each page of `labels`, by its label."""
    return {line.split()[0]: line for line in out.splitlines() if line.split() and line.split()[0] in labels}


def test_a_page_past_the_bound_fails_the_run_and_a_fuller_page_is_said_so(capsys):
    pages = [
        Page("flat", "home"),
        Page("costlier", "home"),
        Page("fuller", "home"),
        Page("admin", "home", reference=True),
    ]
    figures = _figures(
        flat=((5, 100, 20_000, 0, 20), (5, 250, 20_000, 0, 20)),
        costlier=((5, 100, 20_000, 0, 20), (5, 400, 20_500, 0, 20)),
        fuller=((5, 30, 8_000, 0, 8), (5, 170, 16_000, 0, 16)),
        admin=((5, 10, 9_000, 0, 9), (5, 9_000, 9_000, 0, 9)),
    )
    assert report(SIZES, pages, figures, {}, None) == 1
    out = capsys.readouterr().out
    lines = _lines(out, figures[SIZES[0]])
    assert "GROWS" not in lines["flat"] and "GROWS" not in lines["admin"]
    assert "GROWS" in lines["costlier"] and "shows more" not in lines["costlier"]
    assert "GROWS" in lines["fuller"] and "(shows more)" in lines["fuller"]
    assert "2 of 3 pages grow: costlier, fuller" in out and "of which 1 show or ask more" in out


def test_no_page_past_the_bound_passes(capsys):
    figures = _figures(flat=((5, 100, 20_000, 0, 20), (5, 290, 40_000, 0, 40)))
    assert report(SIZES, [Page("flat", "home")], figures, {}, None) == 0
    assert "none of the 1 pages grows" in capsys.readouterr().out


HISTORY = ["1,000 customers", "1,000 customers, 12 months", "50,000 customers, 12 months"]


def test_a_page_that_shows_more_is_judged_against_the_small_size_with_the_same_history(capsys):
    """A worklist of history has one row at 1,000 customers without history and a full page at 50,000 with a
    year: flat against 1,000 customers with the year (the same page of rows), it passes; one that reads more
    there too grows, and one still fuller at 50,000 than with the history is judged from the history, and grows
    past its bar (it reads five times as much for eight times the rows)."""
    figures = {
        HISTORY[0]: {
            "bounded": (5, 20, 1_000, 0, 1),
            "costlier": (5, 20, 1_000, 0, 1),
            "sparse": (5, 20, 1_000, 0, 1),
        },
        HISTORY[1]: {
            "bounded": (5, 120, 16_000, 0, 16),
            "costlier": (5, 120, 16_000, 0, 16),
            "sparse": (5, 30, 2_000, 0, 2),
        },
        HISTORY[2]: {
            "bounded": (5, 150, 16_000, 0, 16),
            "costlier": (5, 900, 16_000, 0, 16),
            "sparse": (5, 150, 16_000, 0, 16),
        },
    }
    pages = [Page(label, "home") for label in ("bounded", "costlier", "sparse")]
    assert report(HISTORY, pages, figures, {}, None) == 1
    out = capsys.readouterr().out
    lines = _lines(out, figures[HISTORY[0]])
    assert "GROWS" not in lines["bounded"] and "(judged from 1,000 customers, 12 months)" in lines["bounded"]
    assert "GROWS" in lines["costlier"] and "(judged from 1,000 customers, 12 months)" in lines["costlier"]
    assert "GROWS" in lines["sparse"] and "(judged from 1,000 customers, 12 months)" in lines["sparse"]
    assert "2 of 3 pages grow: costlier, sparse" in out and "3 pages showing more or asking more" in out
    assert "of which 1 show or ask more at 50,000 customers, 12 months than where they are judged from" in out


MEDIUM = [
    "1,000 customers",
    "1,000 customers, 12 months",
    "10,000 customers, 12 months",
    "50,000 customers, 12 months",
]


def test_a_page_that_fills_only_with_more_customers_is_judged_from_the_medium_size(capsys):
    """An Account manager's worklist has three rows at 1,000 customers, with or without history, and a full page
    at 10,000 and 50,000: judged from 10,000 (the same page of rows), a page whose reads stay flat there passes
    and one that reads every row (5x from 10,000 to 50,000) grows. One still fuller at 50,000 than at every
    reference is judged from the one where it shows the most: a month's calendar, its days' places filling
    (31 entries at 10,000, 32 at 50,000), passes; a list of every customer's rows (5x the entries) grows."""
    labels = ("bounded", "scan", "sparse", "calendar")
    figures = {
        MEDIUM[0]: {**dict.fromkeys(labels[:3], (5, 20, 1_000, 0, 1)), "calendar": (8, 60, 1_000, 0, 7)},
        MEDIUM[1]: {**dict.fromkeys(labels[:3], (5, 21, 1_000, 0, 1)), "calendar": (8, 60, 1_000, 0, 7)},
        MEDIUM[2]: {
            "bounded": (5, 150, 16_000, 0, 16),
            "scan": (5, 400, 16_000, 0, 16),
            "sparse": (5, 40, 3_000, 0, 3),
            "calendar": (8, 600, 9_000, 0, 31),
        },
        MEDIUM[3]: {
            "bounded": (5, 170, 16_000, 0, 16),
            "scan": (5, 2_000, 16_000, 0, 16),
            "sparse": (5, 170, 16_000, 0, 16),
            "calendar": (8, 650, 9_300, 0, 32),
        },
    }
    instructions = {
        MEDIUM[0]: {"calendar": 60.0},
        MEDIUM[2]: {"calendar": 92.0, "sparse": 40.0},
        MEDIUM[3]: {"calendar": 95.0, "sparse": 200.0},
    }
    pages = [Page(label, "home") for label in labels]
    assert report(MEDIUM, pages, figures, instructions, None) == 1
    out = capsys.readouterr().out
    lines = _lines(out, labels)
    for label in labels:
        assert "(judged from 10,000 customers, 12 months)" in lines[label]
    assert "GROWS" not in lines["bounded"] and "GROWS" in lines["scan"]
    assert "GROWS" in lines["sparse"] and "GROWS" not in lines["calendar"] and "1.03×" in lines["calendar"]
    assert "2 of 4 pages grow: scan, sparse" in out


NEAR = [*MEDIUM[:3], "25,000 customers, 12 months", MEDIUM[3]]


def test_a_page_that_fills_only_near_the_large_size_is_judged_from_there_by_a_lower_bar(capsys):
    """An Account manager's section of the next 14 days fills its page only from 25,000 customers: judged from
    there, a page whose reads stay flat passes; one that reads every row of the range (2x from 25,000 to
    50,000, under the 3x bar of the small size) grows, as does one 1.6x there (the bar is 1.5x); from 10,000
    the bar stays 3x."""
    labels = ("bounded", "scan", "creeping", "medium")
    figures = {
        NEAR[0]: dict.fromkeys(labels, (5, 20, 1_000, 0, 1)),
        NEAR[1]: dict.fromkeys(labels, (5, 21, 1_000, 0, 1)),
        NEAR[2]: {**dict.fromkeys(labels[:3], (5, 60, 6_000, 0, 6)), "medium": (5, 100, 16_000, 0, 16)},
        NEAR[3]: {
            "bounded": (5, 150, 15_000, 0, 16),
            "scan": (5, 600, 15_000, 0, 16),
            "creeping": (5, 100, 15_000, 0, 16),
            "medium": (5, 150, 16_000, 0, 16),
        },
        NEAR[4]: {
            "bounded": (5, 170, 16_000, 0, 16),
            "scan": (5, 1_200, 16_000, 0, 16),
            "creeping": (5, 160, 16_000, 0, 16),
            "medium": (5, 290, 16_000, 0, 16),
        },
    }
    pages = [Page(label, "home") for label in labels]
    assert report(NEAR, pages, figures, {}, None) == 1
    out = capsys.readouterr().out
    lines = _lines(out, labels)
    for label in ("bounded", "scan", "creeping"):
        assert "(judged from 25,000 customers, 12 months)" in lines[label]
    assert "GROWS" not in lines["bounded"] and "GROWS" in lines["scan"] and "GROWS" in lines["creeping"]
    assert "GROWS" not in lines["medium"] and "(judged from 10,000 customers, 12 months)" in lines["medium"]
    assert "2 of 4 pages grow: scan, creeping" in out
    assert "3.0× from 10,000 customers, 12 months, 1.5× from 25,000 customers, 12 months" in out


def test_a_page_asking_more_queries_for_as_many_items_is_judged_where_it_asks_as_many(capsys):
    """The worklists' counts (an API answer of counts, as many at every size): at 1,000 customers an Account
    manager's sections are shorter than their first items and not counted apart; from 10,000 five are full and
    counted apart (five more queries). Judged from 10,000, where it asks as many, its flat instructions pass; one
    whose instructions grow there too grows."""
    labels = ("counted", "costlier")
    figures = {
        MEDIUM[0]: dict.fromkeys(labels, (28, 146, 900, 0, 2)),
        MEDIUM[1]: dict.fromkeys(labels, (28, 150, 850, 0, 2)),
        MEDIUM[2]: dict.fromkeys(labels, (33, 273, 2_400, 0, 2)),
        MEDIUM[3]: dict.fromkeys(labels, (33, 302, 7_700, 0, 2)),
    }
    instructions = {
        MEDIUM[0]: {"counted": 90.9, "costlier": 90.9},
        MEDIUM[2]: {"counted": 103.8, "costlier": 103.8},
        MEDIUM[3]: {"counted": 104.4, "costlier": 125.0},
    }
    pages = [Page(label, "home") for label in labels]
    assert report(MEDIUM, pages, figures, instructions, None) == 1
    out = capsys.readouterr().out
    lines = _lines(out, labels)
    for label in labels:
        assert (
            "(judged from 10,000 customers, 12 months)" in lines[label] and "(shows more)" not in lines[label]
        )
    assert "GROWS" not in lines["counted"] and "1.01×" in lines["counted"]
    assert "GROWS" in lines["costlier"] and "1 of 2 pages grow: costlier" in out


def test_the_medium_sizes_are_named_in_increasing_order(capsys):
    """`--medium`: the references' sizes, comma-separated (the defaults between --small and --large; 0: none);
    sizes out of order or outside the small and large sizes are refused with a message."""
    assert _arguments([]).medium == [10_000, 25_000]
    assert _arguments(["--large", "20000"]).medium == [10_000]
    assert _arguments(["--medium", "0"]).medium == []
    assert _arguments(["--medium", "5000,20000"]).medium == [5_000, 20_000]
    for wrong in ("25000,10000", "60000", "abc"):
        with pytest.raises(SystemExit):
            _arguments(["--medium", wrong])
    assert "--medium" in capsys.readouterr().err


def test_a_read_through_a_server_side_cursor_is_measured_as_the_read_it_declares():
    """A queryset walked with `iterator()` on PostgreSQL is logged as a cursor's declaration: the guard measures
    the SELECT it declares (a page reading every invoice item of a month that way was not measured at all); a
    union whose parts are ordered begins with a parenthesis, and is measured too (the Sign-ins page's rows were
    not)."""
    from bench.scale import read_of

    select = 'SELECT "billing_invoiceitem"."id" FROM "billing_invoiceitem" WHERE ("year" = 2026)'
    assert read_of(f'DECLARE "_django_curs_1403_sync_1" NO SCROLL CURSOR FOR {select}') == select
    assert read_of(f'DECLARE "_django_curs_9_sync_2" NO SCROLL CURSOR WITHOUT HOLD FOR {select}') == select
    assert read_of(select) == select and read_of("WITH x AS (SELECT 1) SELECT * FROM x").startswith("WITH")
    union = f"({select} ORDER BY 1 LIMIT 50) UNION ALL ({select} ORDER BY 1 LIMIT 50) ORDER BY 1 LIMIT 50"
    assert read_of(union) == union  # two tables' rows as one list (the Sign-ins page): read, so measured
    assert read_of('UPDATE "django_session" SET "expire_date" = now()') is None
    assert read_of("BEGIN") is None


def test_a_page_whose_database_handles_many_more_rows_grows_though_its_buffers_do_not(capsys):
    """The rows PostgreSQL handles (`rows_handled`): a join comparing each entry walked with each of a manager's
    customers read a few dozen buffers for millions of rows compared. Judged by the buffers' bar once past
    ROWS_FLOOR at the large size; below it, not."""
    from bench.scale import ROWS_FLOOR

    figures = _figures(
        compared=((5, 80, 20_000, 2_000, 20), (5, 90, 20_000, 3_700_000, 20)),
        few=((5, 80, 20_000, 50, 20), (5, 90, 20_000, ROWS_FLOOR, 20)),
        flat=((5, 80, 20_000, 40_000, 20), (5, 90, 20_000, 60_000, 20)),
    )
    pages = [Page(label, "home") for label in ("compared", "few", "flat")]
    assert report(SIZES, pages, figures, {}, None) == 1
    assert "1 of 3 pages grow: compared" in capsys.readouterr().out


def test_the_rows_handled_are_each_node_s_rows_given_and_removed_times_its_loops():
    from bench.scale import rows_handled

    plan = {
        "Actual Rows": 50,
        "Actual Loops": 1,
        "Plans": [
            {"Actual Rows": 1798, "Actual Loops": 1, "Rows Removed by Filter": 0},
            # A materialized side read again for each row of the other: 2,052 rows a loop, 1,798 loops.
            {"Actual Rows": 2052, "Actual Loops": 1798, "Rows Removed by Join Filter": 0},
            {"Actual Rows": 0, "Actual Loops": 0},  # never run
        ],
    }
    assert rows_handled(plan) == 50 + 1798 + 2052 * 1798
    assert rows_handled({"Actual Rows": 50, "Actual Loops": 1, "Rows Removed by Filter": 1748}) == 1798


def test_a_page_shows_more_by_its_items_not_by_its_html_s_size(capsys):
    """ "Shows more" is judged by the items a page shows (`items_shown`): the calendar of December with a few
    more changes at 50,000 customers (HTML only 1.2x larger) is judged from the reference where it shows as
    many, by its instructions too; a page whose HTML grew 1.5x with the same rows (longer names, larger
    figures) is no fuller, and is judged from the small size."""
    sizes = HISTORY
    figures = {
        sizes[0]: {"more-items": (5, 100, 10_000, 0, 20), "longer-words": (5, 100, 10_000, 0, 20)},
        sizes[1]: {"more-items": (5, 110, 12_000, 0, 26), "longer-words": (5, 100, 10_000, 0, 20)},
        sizes[2]: {"more-items": (5, 120, 12_000, 0, 26), "longer-words": (5, 120, 15_000, 0, 20)},
    }
    instructions = {
        sizes[0]: {"more-items": 90.0, "longer-words": 90.0},
        sizes[1]: {"more-items": 104.0, "longer-words": 90.0},
        sizes[2]: {"more-items": 105.0, "longer-words": 105.0},
    }
    pages = [Page(label, "home") for label in ("more-items", "longer-words")]
    assert report(sizes, pages, figures, instructions, None) == 1
    out = capsys.readouterr().out
    lines = _lines(out, figures[sizes[0]])
    assert "(shows more)" in lines["more-items"] and "GROWS" not in lines["more-items"]
    assert "(judged from 1,000 customers, 12 months)" in lines["more-items"]
    assert "(shows more)" not in lines["longer-words"] and "GROWS" in lines["longer-words"]
    assert "1 of 2 pages grow: longer-words" in out


def test_the_items_shown_are_an_html_page_s_rows_entries_and_choices_or_a_json_document_s_objects():
    from bench.scale import items_shown

    html = (
        b"<table><thead><tr><th>Name</th></tr></thead><tbody><tr><td>A</td></tr>"
        b'<tr class="x"><td>B</td></tr></tbody></table><ul><li>one</li></ul>'
        b"<select><option value=1>x</option></select><tbody><track><link>"
    )
    assert items_shown(html) == 5  # the header's row counts at every size alike
    assert items_shown(b'{"customers": [{"id": 1, "plan": {"code": "x"}}, {"id": 2}], "next": null}') == 4
    assert items_shown(b"[{}, {}]") == 2
    assert items_shown(b"{not json <li>a</li>") == 1


def test_instructions_are_counted_at_the_large_size_and_where_each_page_is_judged_from_only():
    """A callgrind pass of every page takes minutes a size: the pages are counted at the large size and at the
    size each is judged from (a page showing as many items as at the small size: there; one showing more: the
    first reference where it shows as many), not at the sizes between; a download is measured apart."""
    from bench.scale import counted_where

    figures = {
        HISTORY[0]: {"flat": (5, 20, 1_000, 0, 9), "fills": (5, 20, 1_000, 0, 2), "file": (1, 5, 10, 0, 0)},
        HISTORY[1]: {"flat": (5, 21, 1_000, 0, 9), "fills": (5, 80, 9_000, 0, 50), "file": (1, 5, 10, 0, 0)},
        HISTORY[2]: {"flat": (5, 22, 1_000, 0, 9), "fills": (5, 90, 9_000, 0, 50), "file": (1, 5, 10, 0, 0)},
    }
    pages = [Page("flat", "home"), Page("fills", "home"), Page("file", "home", download=True)]
    assert counted_where(HISTORY, pages, figures) == {
        HISTORY[0]: {"flat"},
        HISTORY[1]: {"fills"},
        HISTORY[2]: {"flat", "fills"},
    }


def test_each_page_counted_is_requested_just_before_its_count_and_the_others_only_warmed(monkeypatch):
    """A page's instructions depended on the page counted before it in the process (what that one left: a
    connection, a cache): each page counted is requested once more just before its count, so its count starts
    from the state it leaves itself, whichever pages are counted (`counted_where`); the others are warmed with
    them before the freeze, and not counted. The session's once-a-minute write is made just before each count."""
    import ctypes
    import types

    from bench import scale

    events: list[tuple] = []
    lib = types.SimpleNamespace(
        bench_start=lambda: events.append(("start",)), bench_stop=lambda name: events.append(("stop", name))
    )
    monkeypatch.setattr(ctypes, "CDLL", lambda _path: lib)
    monkeypatch.setattr(scale, "_helper", lambda: "lib.so")
    monkeypatch.setattr(scale, "clients", lambda: {"admin": "client"})
    monkeypatch.setattr(scale, "request", lambda _client, page, url=None: events.append(("get", page.label)))
    monkeypatch.setattr("portal.core.collector.freeze_loaded", lambda: events.append(("freeze",)))
    monkeypatch.setattr("bench.common.session_seen_now", lambda _client: events.append(("stamp",)))
    pages = [Page("a", "home"), Page("b", "home"), Page("c", "home")]
    scale.run_counted(pages, 1, frozen=True, counted={"a", "c"})
    assert events == [
        ("get", "a"), ("get", "b"), ("get", "c"), ("freeze",),
        ("get", "a"), ("stamp",), ("start",), ("get", "a"), ("stop", b"page0"),
        ("get", "c"), ("stamp",), ("start",), ("get", "c"), ("stop", b"page2"),
    ]  # fmt: skip
