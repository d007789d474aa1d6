"""`python -m bench.bank_matching`: matching a bank statement's credit lines to the open invoices (入金消込,
`invoicing.bank.matching`) beside reading the open invoices once: 10,000 lines against 50,000 open invoices by
default (`--lines`, `--invoices`). Pure functions, no database: the figure is the matching's own cost over the
floor of touching each invoice and line once. Near-duplicates throughout: few distinct amounts, names in pairs
one kana apart, a third of the lines with the invoice number in the memo."""

from __future__ import annotations

import argparse
import datetime as dt
import random
import time

SYLLABLES = "アイウカキクサシスタチツナニヌハヒフマミムヤユヨラリルワ"
HALF = str.maketrans(
    "アイウカキクサシスタチツナニヌハヒフマミムヤユヨラリルワ", "ｱｲｳｶｷｸｻｼｽﾀﾁﾂﾅﾆﾇﾊﾋﾌﾏﾐﾑﾔﾕﾖﾗﾘﾙﾜ"
)


def world(invoices: int, lines: int, rng: random.Random):
    from invoicing.bank import matching

    customers = max(1, invoices // 12)
    names = {}
    for domain_id in range(1, customers + 1):
        names[domain_id] = "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(4, 7)))
    candidates = [
        matching.Candidate(
            number=n,
            domain_id=rng.randint(1, customers),
            owed=rng.choice((11_000, 22_000, 33_000, 55_000, 110_000)) + rng.randint(0, 20) * 1_100,
            due_date=dt.date(2026, 1, 1) + dt.timedelta(days=n % 365),
            written=f"INV-{n:06d}",
        )
        for n in range(1, invoices + 1)
    ]
    book_names: dict[str, set[int]] = {}
    for domain_id, name in names.items():
        book_names.setdefault(name, set()).add(domain_id)
    paid = rng.sample(candidates, min(lines, len(candidates)))
    bank_lines = [
        matching.Line(
            amount=c.owed if rng.random() < 0.9 else c.owed - 440,
            payer="ｶ)" + names[c.domain_id].translate(HALF),
            memo=c.written if rng.random() < 0.33 else "",
        )
        for c in paid
    ]
    return candidates, book_names, bank_lines


def main() -> None:
    import django

    django.setup()
    from invoicing.bank import matching

    parser = argparse.ArgumentParser()
    parser.add_argument("--lines", type=int, default=10_000)
    parser.add_argument("--invoices", type=int, default=50_000)
    args = parser.parse_args()
    candidates, names, lines = world(args.invoices, args.lines, random.Random(57))

    started = time.perf_counter()
    floor = sum(c.owed for c in candidates) + sum(line.amount for line in lines)  # each read once
    read_once = time.perf_counter() - started

    started = time.perf_counter()
    book = matching.Book(candidates, names)
    indexed = time.perf_counter() - started
    started = time.perf_counter()
    proposals = matching.propose_all(book, lines)
    matched = time.perf_counter() - started
    certain = sum(1 for p in proposals if p.confidence == matching.CERTAIN)
    print(f"{args.lines:,} lines against {args.invoices:,} open invoices (checksum {floor % 997})")
    print(f"  reading each once:   {read_once * 1000:8.1f} ms")
    print(f"  indexing the book:   {indexed * 1000:8.1f} ms")
    print(
        f"  proposing per line:  {matched * 1000:8.1f} ms ({matched / max(1, len(lines)) * 1e6:.1f} µs a line)"
    )
    print(f"  matching / reading:  {(indexed + matched) / max(read_once, 1e-9):8.1f} x")
    print(f"  certain proposals:   {certain:,} of {len(lines):,}")


if __name__ == "__main__":
    import os

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    main()
