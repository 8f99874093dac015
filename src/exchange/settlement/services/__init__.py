"""Settlement services: deposits, bank statements, outcomes, payment batches, price.

Each public service is keyword-only, one transaction, idempotent where a retry is
plausible, and sends its events after commit (`signals.send_on_commit`). Services
called by other apps (trading, bidding) pass `actor=None` (the system); a staff actor is
checked against the role matrix here, so the API, the pages and the admin share the rule.

The package re-exports every public service, so callers use `settlement.services.<name>`:

- `accounts`: virtual sub-accounts (Luhn) and members' deposit accounts
- `deposits`: payment instructions, their due time, cancelling, crediting a payment, expiry
- `statement_files`: importing a bank statement (at once, or upload → confirm/discard)
- `matching`: recording a statement's lines and matching deposits and price payments
- `resolution`: the exceptions queue (match by hand, or return to the payer)
- `outcomes`: refund, forfeit and conversion of paid deposits
- `payouts`: payment batches (four-eyes) and manual postings
- `prices`: price plans, payments, overdue instalments, release to the seller
- `common`: the errors, the permission check and the queue of outgoing payments
"""

from __future__ import annotations

from exchange.settlement.bank_files import BANK_FILE_HEADER, RESULT_HEADER
from exchange.settlement.services.accounts import luhn_digit, virtual_account_valid
from exchange.settlement.services.accounts import new_virtual_account as _new_virtual_account
from exchange.settlement.services.common import DepositPaid, FourEyes, NotPending, PlanClosed
from exchange.settlement.services.deposits import (
    deposit_due,
    deposit_instruction_cancel,
    deposit_instruction_create,
    deposits_expire,
)
from exchange.settlement.services.outcomes import (
    deposit_convert,
    deposit_forfeit,
    deposit_forfeit_converted,
    deposit_refund,
    deposit_refund_schedule,
    refunds_due_run,
)
from exchange.settlement.services.payouts import (
    manual_posting_create,
    payment_batch_approve,
    payment_batch_cancel,
    payment_batch_confirm,
    payment_batch_export,
    payment_batch_prepare,
)
from exchange.settlement.services.prices import (
    price_overdue_run,
    price_payment_record,
    price_plan_create,
    price_release,
    releases_due_run,
    seller_release,
)
from exchange.settlement.services.resolution import (
    statement_line_match,
    statement_line_match_price,
    statement_line_return,
)
from exchange.settlement.services.statement_files import (
    UPLOAD_KEEP,
    statement_import,
    statement_upload_confirm,
    statement_upload_create,
    statement_upload_discard,
    statement_uploads_expire,
)

__all__ = [
    "BANK_FILE_HEADER",
    "RESULT_HEADER",
    "UPLOAD_KEEP",
    "DepositPaid",
    "FourEyes",
    "NotPending",
    "PlanClosed",
    "_new_virtual_account",
    "deposit_convert",
    "deposit_due",
    "deposit_forfeit",
    "deposit_forfeit_converted",
    "deposit_instruction_cancel",
    "deposit_instruction_create",
    "deposit_refund",
    "deposit_refund_schedule",
    "deposits_expire",
    "luhn_digit",
    "manual_posting_create",
    "payment_batch_approve",
    "payment_batch_cancel",
    "payment_batch_confirm",
    "payment_batch_export",
    "payment_batch_prepare",
    "price_overdue_run",
    "price_payment_record",
    "price_plan_create",
    "price_release",
    "refunds_due_run",
    "releases_due_run",
    "seller_release",
    "statement_import",
    "statement_line_match",
    "statement_line_match_price",
    "statement_line_return",
    "statement_upload_confirm",
    "statement_upload_create",
    "statement_upload_discard",
    "statement_uploads_expire",
    "virtual_account_valid",
]
