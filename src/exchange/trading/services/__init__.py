"""Commands of the buyer side: apply, withdraw, review, deposit, outcome, auction result.

Every service is one transaction: it locks the application (or the project's outcome),
checks, writes and audits; on any refusal (a DomainError with a stable code and a
Chinese message) nothing is written. Status changes go through the one guarded
`_transition` over `Application.TRANSITIONS`. Other apps are called through their
services (listings, settlement, bidding, deals, members) with ids and amounts.

One module per stage (`applying`, `checks`, `common`, `deposits`, `drafts`, `outcome`,
`results`, `review`, `terms`); this package re-exports their public names, so callers import
from `exchange.trading.services`.
"""

from __future__ import annotations

from exchange.core.errors import InvalidInput, NotFound
from exchange.core.permissions import SYSTEM
from exchange.trading.models import Outcome
from exchange.trading.services.applying import (
    application_submit,
    application_withdraw,
)
from exchange.trading.services.checks import (
    Partner,
    applicant_refusal,
    check_consortium,
    check_material,
    required_materials,
)
from exchange.trading.services.common import (
    OPEN_FOR_APPLICATIONS,
    AlreadyApplied,
    Barred,
    BidFloorTooLow,
    Blacklisted,
    CommitmentChanged,
    CommitmentMissing,
    ConsortiumInvalid,
    DeadlinePassed,
    DraftLimit,
    MaterialRejected,
    NotVerified,
    NotYourApplication,
    OwnProject,
    ReasonNotPublished,
    RegistrationClosed,
    SecondReviewerRequired,
    SellerOpinionRequired,
    _at,
    condition_items,
)
from exchange.trading.services.deposits import (
    applications_lapse,
    deposit_confirmed_apply,
)
from exchange.trading.services.drafts import (
    draft_remove,
    draft_upload,
    drafts_clean,
)
from exchange.trading.services.outcome import (
    auction_start,
    outcome_decide,
    plan_outcome,
)
from exchange.trading.services.results import (
    auction_result_apply,
    outcomes_run,
    results_catch_up,
    terminated_close,
)
from exchange.trading.services.review import (
    application_review,
    seller_opinion_give,
)
from exchange.trading.services.terms import (
    _TERM_FIELDS,
    holder_rank,
    terms_defaults,
    terms_ensure,
    terms_update,
)

__all__ = [
    "OPEN_FOR_APPLICATIONS",
    "SYSTEM",
    "_TERM_FIELDS",
    "AlreadyApplied",
    "Barred",
    "BidFloorTooLow",
    "Blacklisted",
    "CommitmentChanged",
    "CommitmentMissing",
    "ConsortiumInvalid",
    "DeadlinePassed",
    "DraftLimit",
    "InvalidInput",
    "MaterialRejected",
    "NotFound",
    "NotVerified",
    "NotYourApplication",
    "Outcome",
    "OwnProject",
    "Partner",
    "ReasonNotPublished",
    "RegistrationClosed",
    "SecondReviewerRequired",
    "SellerOpinionRequired",
    "_at",
    "applicant_refusal",
    "application_review",
    "application_submit",
    "application_withdraw",
    "applications_lapse",
    "auction_result_apply",
    "auction_start",
    "check_consortium",
    "check_material",
    "condition_items",
    "deposit_confirmed_apply",
    "draft_remove",
    "draft_upload",
    "drafts_clean",
    "holder_rank",
    "outcome_decide",
    "outcomes_run",
    "plan_outcome",
    "required_materials",
    "results_catch_up",
    "seller_opinion_give",
    "terminated_close",
    "terms_defaults",
    "terms_ensure",
    "terms_update",
]
