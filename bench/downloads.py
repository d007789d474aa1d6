"""The scale guard's downloads (bench/pages.py `DOWNLOADS`): each opened once at the small size and once at the
large one, as a person downloads it (every byte read), measuring its queries, the file's size and the Python
memory it held beyond the file (tracemalloc's peak during the request, less the file when the response holds it
whole). A download reads every row its filter finds, so its bytes and its database work grow with the rows by
design; what must not is its queries (one per row is an N+1; one per batch is not) and the memory it holds:
rows read a batch at a time hold a batch, whatever the rows; a list of whole rows holds them all
(`report_downloads`)."""

from __future__ import annotations

import tracemalloc

from bench.pages import Page

#: A download may read a query for this many lines of its file (a batch of rows, a batch's prefetch); a query a
#: row (an N+1) is one for each.
LINES_PER_QUERY = 100

#: Memory a download may hold at the large size whatever it held at the small one: a batch of rows read at a
#: time (a server-side cursor's, a queryset's `iterator(chunk_size=)`) and the writer's buffers. At the small
#: size a download of a few hundred rows holds them all in less than one batch.
HELD_FLOOR = 16 * 1024 * 1024


def measure_downloads(chosen: list[Page], clients: dict) -> dict[str, tuple[int, int, int, int]]:
    """(SQL queries, bytes held beyond the file at the peak, the file's bytes, its lines) of each download in
    `chosen`."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from bench.common import SESSION_UPKEEP

    out = {}
    for page in chosen:
        if not page.download:
            continue
        url = page.url()  # outside the measure: filling its arguments reads the seed
        # Warm, as the pages are: the view run once (what it loads the first time: a PDF's fonts), its stream
        # not read (a whole file made twice is bounded; a stream of every row read twice is not).
        clients[page.role].get(url, page.params).close()
        tracemalloc.start()
        try:
            before = tracemalloc.get_traced_memory()[0]
            with CaptureQueriesContext(connection) as ctx:
                response = clients[page.role].get(url, page.params)
                size = lines = whole = 0
                if response.streaming:
                    for chunk in response.streaming_content:
                        size, lines = size + len(chunk), lines + chunk.count(b"\n")
                else:
                    size = whole = len(response.content)
                    lines = response.content.count(b"\n")
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        if response.status_code != 200:
            raise SystemExit(f"{page.label}: {url} answered {response.status_code}")
        queries = sum(1 for q in ctx.captured_queries if not q["sql"].startswith(SESSION_UPKEEP))
        out[page.label] = (queries, max(peak - before - whole, 0), size, lines)
    return out


def _grows(small: tuple, large: tuple, bar: float) -> list[str]:
    """What of a download grows from `small` to `large`: its queries past `bar`× and more than one for every
    LINES_PER_QUERY lines of the file, the memory it holds past `bar`× and past HELD_FLOOR."""
    why = []
    if large[0] > bar * small[0] and (large[0] - small[0]) * LINES_PER_QUERY > large[3]:
        why.append("queries")
    if large[1] > max(bar * small[1], HELD_FLOOR):
        why.append("memory")
    return why


def report_downloads(
    first: str, last: str, pages: list[Page], figures: dict, bar: float
) -> tuple[list[str], list[str]]:
    """The downloads' table, from the small size `first` to the large one `last`; the labels of those judged,
    and of those that grow."""
    measured = [p for p in pages if p.download and p.label in figures[first] and p.label in figures[last]]
    if not measured:
        return [], []
    width = max([44, *(len(p.label) for p in measured)])
    print(f"\n{'downloads':{width}} " + " ".join(f"{f'--- {size} ---':>24}" for size in (first, last)))
    print(f"{'':{width}} " + " ".join(f"{'SQL':>4} {'file MB':>8} {'held MB':>8}   " for _ in (first, last)))
    growing = []
    for page in measured:
        small, large = figures[first][page.label], figures[last][page.label]
        cells = " ".join(
            f"{q:4d} {size / 2**20:8.1f} {held / 2**20:8.1f}   " for q, held, size, _lines in (small, large)
        )
        why = _grows(small, large, bar)
        print(f"{page.label:{width}} {cells}" + (f"  GROWS ({', '.join(why)})" if why else ""))
        if why:
            growing.append(page.label)
    print(
        f"(a download grows when its queries grow > {bar:g}× and number more than one for {LINES_PER_QUERY} "
        f"lines of the file, or the memory it holds beyond the file grows > {bar:g}× and past "
        f"{HELD_FLOOR / 2**20:.0f} MB)"
    )
    return [p.label for p in measured], growing
