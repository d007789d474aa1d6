"""The estimate of a month: what LINE WORKS will bill the partner (cost) and what the partner charges its
customers (price), per customer and in total, before the invoice arrives. One job a module:

- `simulate`: the month of one customer, simulated: the scheduled changes as events on a state, the terms billed
  each day, the periods of unchanged terms (`customer_lines`, `steady_lines` in closed form).
- `pricing`: those periods priced by the price book's entry in force, prorated by their days (`priced`).
- `month`: the month of every customer: `Estimate` and `CustomerEstimate`, worked out from the cache
  (`month_estimate`, `estimate_of`) or read as kept (`kept_estimate`, `kept_estimate_batches`,
  `estimate_summary`), what it cannot know (`CANNOT_KNOW`), the months the pages estimate (`months_estimated`).
- `kept`: the kept estimate, the worker's: what a month is worked out from (`_basis`), how it stands
  (`estimate_state`), bringing it up to date in batches (`estimate_keep`), and `KEEPER`, as `portal.core.kept`
  runs it.
- `compare`: the estimate against the invoice: `Verdict`, `Compared`, `against_invoice`, the comparison the
  worker keeps (`compared_keep`) and the page of the customers that differ (`against_invoice_page`).

What other modules use is named here too, so `from billing.estimate import ...` reads the same as from its module.
"""

from billing.estimate.compare import (
    COMPARED_FIGURES,
    ESTIMATED_TYPES,
    NOT_ESTIMATED_TYPES,
    Compared,
    Verdict,
    against_invoice,
    against_invoice_page,
)
from billing.estimate.kept import (
    KEEP_BATCH,
    KEEPER,
    KEPT,
    MARGINS_KEPT,
    RULES,
    estimate_keep,
    estimate_state,
    months_kept,
)
from billing.estimate.month import (
    CANNOT_KNOW,
    ESTIMATE_FIGURES,
    UNKNOWABLE,
    CustomerEstimate,
    Estimate,
    Summary,
    estimate_of,
    estimate_summary,
    kept_estimate,
    kept_estimate_batches,
    month_estimate,
    month_usage,
    months_estimated,
)
from billing.estimate.pricing import priced
from billing.estimate.simulate import Line, Snapshot, customer_lines

__all__ = [
    "CANNOT_KNOW",
    "COMPARED_FIGURES",
    "ESTIMATED_TYPES",
    "ESTIMATE_FIGURES",
    "KEEPER",
    "KEEP_BATCH",
    "KEPT",
    "MARGINS_KEPT",
    "NOT_ESTIMATED_TYPES",
    "RULES",
    "UNKNOWABLE",
    "Compared",
    "CustomerEstimate",
    "Estimate",
    "Line",
    "Snapshot",
    "Summary",
    "Verdict",
    "against_invoice",
    "against_invoice_page",
    "customer_lines",
    "estimate_keep",
    "estimate_of",
    "estimate_state",
    "estimate_summary",
    "kept_estimate",
    "kept_estimate_batches",
    "month_estimate",
    "month_usage",
    "months_estimated",
    "months_kept",
    "priced",
]
