"""Bank statements read and matched to the issued invoices (入金消込), as pure functions: no database.

- `reading`: an uploaded file's bytes checked once (size, not binary, its text encoding): the one place a bank
  file is read, kept small so it can move into a shared import machinery later.
- `zengin`: the Zengin (全銀協) 入出金取引明細 layout (種別コード 03) as data, and its parser.
- `csvfile`: a bank's plain CSV read with the column mapping Finance keeps per bank.
- `kana`: payer names normalised for comparison (half-width kana, small kana, spaces, legal forms).
- `matching`: each credit line's proposed invoice, with its reason and confidence.
- `direct_debit`: the 口座振替 request file (種別コード 91) and its result file (groundwork, no page yet).

Each parser returns a `Statement` of `StatementLine`s (`statement.py`) or raises `BankFileRefused` with a
sentence a person reads.
"""
