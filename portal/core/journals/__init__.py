"""Journals for accounting packages: one journal model (`model.py`: entries made once from the documents, accounts
and tax categories by role) and one writer per ledger (`yayoi.py`, `moneyforward.py`, `freee.py`), chosen and
downloaded by `ledgers.py`. The names each ledger's masters give the accounts and categories are settings
(`YAYOI_NAMES`, `MONEYFORWARD_NAMES`, `FREEE_NAMES`); see docs/downloads.md."""
