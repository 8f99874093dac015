"""Deal services: everything after a deal is struck (docs/deals.md).

deal → contract (both parties sign within N WD) → exchange review → effective (deposit
converts, price plan opens) → paid (settlement's `price_paid`) → 成交公告 → 交易凭证 →
release to the seller (settlement's `seller_released`) → closed; or → DEFAULTED (悔拍:
deposit forfeited, buyer barred from the re-sale, staff relist).

Each public service is keyword-only, one transaction (`transaction.atomic`), audited
through `audit.action`, guarded by `TRANSITIONS`; bad input raises a `DomainError`
subclass with a stable code and nothing is written. Other apps pass the system actor
(`core.permissions.SYSTEM`, None); staff actors are checked against their permissions here.

One module per stage (`certificates`, `closing`, `common`, `contract`, `handlers`,
`opening`, `payment`); this package re-exports their public names, so callers import from
`exchange.deals.services`. What notices and certificates say is in `exchange.deals.facts`.
"""

from __future__ import annotations

from exchange.core.errors import Conflict, IllegalTransition
from exchange.deals.facts import (
    certificate_facts,
    result_fact_text,
    result_notice_extra,
    result_notice_facts,
    result_rule,
)
from exchange.deals.services.certificates import (
    certificate_issue,
    certificate_revoke,
    certificates_due_run,
)
from exchange.deals.services.closing import (
    deal_close,
    deal_default,
    deal_funds_released,
    deal_relist,
    deals_close_run,
    defaults_due,
    defaults_run,
)
from exchange.deals.services.common import (
    DEFAULTABLE,
    FEE_METHOD,
    TRANSITIONS,
    AlreadySigned,
    BuyerBarred,
    DeadlinePassed,
    DealExists,
    NotFullyPaid,
    NotYourSide,
    ReasonRequired,
    S,
    contract_template_for,
    deal_fees,
    deal_url,
    logger,
    sign_deadline_for,
)
from exchange.deals.services.contract import (
    contract_review,
    contract_sign,
)
from exchange.deals.services.handlers import (
    on_price_paid,
    on_seller_released,
)
from exchange.deals.services.opening import (
    deal_open,
)
from exchange.deals.services.payment import (
    deal_paid,
    deal_payment_record,
)

__all__ = [
    "DEFAULTABLE",
    "FEE_METHOD",
    "TRANSITIONS",
    "AlreadySigned",
    "BuyerBarred",
    "Conflict",
    "DeadlinePassed",
    "DealExists",
    "IllegalTransition",
    "NotFullyPaid",
    "NotYourSide",
    "ReasonRequired",
    "S",
    "certificate_facts",
    "certificate_issue",
    "certificate_revoke",
    "certificates_due_run",
    "contract_review",
    "contract_sign",
    "contract_template_for",
    "deal_close",
    "deal_default",
    "deal_fees",
    "deal_funds_released",
    "deal_open",
    "deal_paid",
    "deal_payment_record",
    "deal_relist",
    "deal_url",
    "deals_close_run",
    "defaults_due",
    "defaults_run",
    "logger",
    "on_price_paid",
    "on_seller_released",
    "result_fact_text",
    "result_notice_extra",
    "result_notice_facts",
    "result_rule",
    "sign_deadline_for",
]
