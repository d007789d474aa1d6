"""A partner's database after `months` months, at any size: the one seed of the benchmarks, the soak and the load
run (prints what it wrote; not a benchmark, so a bare ``make bench`` does not run it).

``.venv/bin/python -m bench seed --customers N --months M [--database URL] [--history-only]``: migrates the
database (URL, else DATABASE_URL, else var/bench-seed.sqlite3) and fills it, deterministically (one fixed random
seed), on SQLite or PostgreSQL, in time proportional to what it writes: its rows go in by COPY (`Table`), never
saved one by one; the daily usage is made by the database (`Table.insert_select`); on PostgreSQL the indexes and
foreign keys that each row would otherwise keep at a random place (the search grams', the usage's) are made
after the rows (`made_after`). Other code calls `seed(customers=N, months=M)` on the database Django is set up
with. ``--history-only`` (`history`) adds only the running portal's history (usage before the running month,
sync runs, audit entries, operations) to the customers a database holds: the soak's
(scripts/soak.py --months), whose customers come from the sandbox.

What a partner's database holds, whatever `months` (the day one of the portal, "without history"):

* people: ten Account managers, each the owner of one customer in twelve (two in twelve are nobody's), four
  Support contacts (one each for a customer in three), two in Finance, two Admins (`PEOPLE`);
* customers with their subscriptions, scheduled changes, options, work on the home page (bench.home's mix:
  renewals and trials ending, near the maximum users, stale and removed customers, operations unknown or
  failed), billing details for nine customers in ten, the partner's details and a price book (a price change
  during the year and a few customers' own prices);
* the last closed month: LINE WORKS' invoice and its details (through billing's own stores, which run the
  month's check and so its findings), one issued invoice per billed customer (numbered by the sequence, with
  its PDF as rendered for the first invoice of each language), its payments (a few overdue), a credit note in
  two hundred, their sending and the month's issue and send runs; a bank statement of each closed month's
  payments, its lines matched, and one of today's transfers still to match;
* the running month's usage (snapshots and option usage, up to today), the estimates kept as the nightly task
  leaves them, a bulk batch (a real dry run) and a day of sync runs, operations and audit entries;
* the team's saved views: a few of each person's own, two shared by each Account manager (`bench.seed.saved`).

`--months M` adds M months before today: M closed months of LINE WORKS invoices and details and of issued
invoices, payments and credit notes (each month closed by Finance except the last), and the event tables over
M months at the cadence the running portal writes them (`Cadence`), derived from the beat schedule
(portal/core/periodic.py) and the settings it reads:

* sync runs: a full resync at every beat tick of RESYNC_INTERVAL_MINUTES, refused while one runs (so every
  ceil(length / interval) ticks), a pass lasting customers / PARTNER_API_RATE_LIMIT minutes for its first
  PARTNER_API_SUSTAINED_MINUTES, then at PARTNER_API_SUSTAINED_SHARE of it (the limiter's pace for long runs; each
  per-customer operation reads one customer a call, paced in parallel; the busiest sets the pace). The refresh
  (RESYNC_REFRESH) runs one run per batch of RESYNC_REFRESH_BATCH_SECONDS back to back: outside full resyncs
  in turn, resting once every copy is younger than five minutes (`engine.REFRESH_TURN_MIN_AGE`: a round of the
  customers a batch can read in a minute at most); beside a full resync by need, a batch after another (the full
  resync giving way to it). The last full resync is still running at the seed's end, part way through, as the
  running portal leaves it at any moment (no process runs it: the next full resync marks it interrupted).
  Opening a customer page whose copy is older than REFRESH_ON_OPEN_MINUTES refreshes that customer (a run of
  kind "customer", naming it): OPENS_A_DAY pages a working day per Account manager and Support contact, the
  share of copies older than that from how long a round takes. The runs go in in the order they began.
  The partner-wide walks (listInvoices per year, listInvoiceDetails of the last closed month) twice a day
  (beat's 06:00 and 18:00 in the business time zone);
* usage snapshots: one per customer a day (listCustomerUsages of the business month, read at every pass),
  thinned past billing.services.USAGE_KEEP_DAYS to the edges of each month as the store does;
* option usage: one row per option of a customer a day (listOptionProductUsages of the business month, read
  at every pass), never removed;
* audit entries and operations: written by people's changes, not by beat: AUDITS_A_YEAR and OPERATIONS_A_YEAR
  per customer (the issue's measurement at 50,000 customers: 2 M audit entries, 0.1-0.25 M operations a year),
  plus the entries issuing, sending and recording a payment write; a bulk change a week (`batches_seed`);
* sign-ins: each of the partner's people signs in each working day, again on about half the days after being
  away past SESSION_IDLE_MINUTES, after a mistyped password one time in twenty (`bench.seed.signins`): the
  same rows at every size.

Rows go in in the order the running portal writes them, as that is where they lie on the table: a month's
send attempts in invoice number order (its send run's), its payments by the day each was paid.

By topic: `people`, `customers` (and their options), `billing` (details, prices, LINE WORKS' months),
`invoices` (the partner's own), `usage`, `history` (sync runs, operations, audit entries), `signins`,
`batches`, `cadence` (the rows a day at a size), `tables` (writing many rows), `database` (the steps in order),
`command`.
"""

from bench.seed.cadence import OPENS_A_DAY, Cadence, cadence, months_before
from bench.seed.command import main, setup
from bench.seed.customers import FIRST_DOMAIN, FIRST_SUBSCRIPTION, customers_seed
from bench.seed.database import counts, history, seed
from bench.seed.people import PEOPLE, user_of
from bench.seed.tables import Table, made_after, objects_write

__all__ = [
    "FIRST_DOMAIN",
    "FIRST_SUBSCRIPTION",
    "OPENS_A_DAY",
    "PEOPLE",
    "Cadence",
    "Table",
    "cadence",
    "counts",
    "customers_seed",
    "history",
    "made_after",
    "main",
    "months_before",
    "objects_write",
    "seed",
    "setup",
    "user_of",
]
