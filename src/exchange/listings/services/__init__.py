"""Commands that change projects (挂牌项目) and everything around them.

Every service is one transaction: it locks the project row (`project_for_update`), checks, writes and
audits; on any refusal (a DomainError) nothing is written. Status changes go through the
one guarded `_transition` over the `TRANSITIONS` map. Time comes from `core.clock`, dates
from `core.workdays` (China's calendar with 调休).

One module per stage (`after_disclosure`, `application`, `attachments`, `changes`, `common`,
`notices`, `roadshow`, `rules`, `worker`); this package re-exports their public names, so
callers import from `exchange.listings.services`.
"""

from __future__ import annotations

from exchange.listings.services.after_disclosure import (
    project_extend,
    project_relist,
    project_resume,
    project_suspend,
    project_terminate,
    relist_blocked,
    resume_remaining_wd,
)
from exchange.listings.services.application import (
    current_step,
    project_create,
    project_review,
    project_submit,
    project_update,
)
from exchange.listings.services.attachments import (
    attachment_add,
    attachment_delete,
    check_upload,
)
from exchange.listings.services.changes import (
    CHANGEABLE_FIELDS,
    change_propose,
    change_review,
)
from exchange.listings.services.common import (
    FINAL_STATUSES,
    RELISTABLE_STATUSES,
    TRADE_MOVES,
    TRANSITIONS,
    AttachmentRejected,
    ConsentRequired,
    ExtensionNotAllowed,
    FloorBelowValuation,
    NotAWorkday,
    PeriodTooShort,
    PublicityPeriodRunning,
    RelistStopped,
    S,
    is_broker,
    is_seller_side,
    project_for_update,
)
from exchange.listings.services.notices import (
    _at,
    _end_at,
    clarification_publish,
    disclosure_dates,
    notice_keep_until,
    notice_publish,
    notice_withdraw,
    notices_publish_due,
    project_dates_recompute,
    project_trade_move,
)
from exchange.listings.services.roadshow import (
    follow_toggle,
    project_viewed,
    qa_notice_publish,
    question_answer,
    question_ask,
    question_moderate,
)
from exchange.listings.services.rules import (
    EDITABLE_FIELDS,
    _derive,
    check_periods,
    check_ready,
    city_code,
    minimum_periods,
)
from exchange.listings.services.worker import (
    listings_tick,
    project_advance,
)

__all__ = [
    "CHANGEABLE_FIELDS",
    "EDITABLE_FIELDS",
    "FINAL_STATUSES",
    "RELISTABLE_STATUSES",
    "TRADE_MOVES",
    "TRANSITIONS",
    "AttachmentRejected",
    "ConsentRequired",
    "ExtensionNotAllowed",
    "FloorBelowValuation",
    "NotAWorkday",
    "PeriodTooShort",
    "PublicityPeriodRunning",
    "RelistStopped",
    "S",
    "_at",
    "_derive",
    "_end_at",
    "attachment_add",
    "attachment_delete",
    "change_propose",
    "change_review",
    "check_periods",
    "check_ready",
    "check_upload",
    "city_code",
    "clarification_publish",
    "current_step",
    "disclosure_dates",
    "follow_toggle",
    "is_broker",
    "is_seller_side",
    "listings_tick",
    "minimum_periods",
    "notice_keep_until",
    "notice_publish",
    "notice_withdraw",
    "notices_publish_due",
    "project_advance",
    "project_create",
    "project_dates_recompute",
    "project_extend",
    "project_for_update",
    "project_relist",
    "project_resume",
    "project_review",
    "project_submit",
    "project_suspend",
    "project_terminate",
    "project_trade_move",
    "project_update",
    "project_viewed",
    "qa_notice_publish",
    "question_answer",
    "question_ask",
    "question_moderate",
    "relist_blocked",
    "resume_remaining_wd",
]
