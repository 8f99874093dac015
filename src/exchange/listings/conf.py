"""Business numbers of the listings app: every one a setting with the default of docs/design/domain-rules.md.

Read through the functions below (never at import time), so `override_settings` in
tests and a changed environment both take effect.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.utils.translation import gettext_lazy as _

DEFAULTS: dict[str, Any] = {
    # minimum formal disclosure (正式披露) in working days
    "LISTINGS_MIN_WD_EQUITY": 20,
    "LISTINGS_MIN_WD_CAPITAL_INCREASE_TOTAL": 40,  # pre + formal together
    "LISTINGS_MIN_WD_CAPITAL_INCREASE_FORMAL": 20,
    "LISTINGS_MIN_WD_ASSET_SMALL": 10,  # floor up to LISTINGS_ASSET_LARGE_FLOOR
    "LISTINGS_MIN_WD_ASSET_LARGE": 20,
    "LISTINGS_ASSET_LARGE_FLOOR": Decimal("10000000"),
    "LISTINGS_MIN_WD_PRE_DISCLOSURE": 20,
    # extension, relisting, suspension
    "LISTINGS_EXTENSION_MIN_WD": 5,
    "LISTINGS_MAX_EXTENSION_CYCLES": 3,  # default of the per-project value
    "LISTINGS_RELIST_CONSENT_RATIO": Decimal("0.90"),
    "LISTINGS_STOP_AFTER_MONTHS": 12,
    "LISTINGS_SUSPEND_MAX_DAYS": 30,
    "LISTINGS_RESUME_MIN_REMAINING_WD": 10,
    "LISTINGS_RESUME_MIN_TOTAL_WD": 20,
    # review
    "LISTINGS_REVIEW_SLA_HOURS": 24,
    "LISTINGS_APPROVAL_CHAINS": {
        "default": [
            {"key": "initial", "label": "项目经理初审", "permission": "listings.review_initial"},
            {"key": "final", "label": "部门经理复核", "permission": "listings.review_final"},
        ],
    },
    # attachments
    "LISTINGS_ATTACHMENT_MAX_BYTES": 20 * 1024 * 1024,
    "LISTINGS_VIDEO_MAX_BYTES": 200 * 1024 * 1024,
    "LISTINGS_ATTACHMENT_TYPES": {
        "valuation_report": ["pdf"],
        "photo": ["jpg", "jpeg", "png", "webp"],
        "video": ["mp4", "webm"],
        "document": ["pdf", "doc", "docx", "xls", "xlsx", "jpg", "jpeg", "png"],
        "approval_document": ["pdf", "jpg", "jpeg", "png"],
    },
    # public pages
    "LISTINGS_HALL_PAGE_SIZE": 20,
    "LISTINGS_NOTICE_HOUR": 9,  # notices of a disclosure start go out at 09:00 on the start day
}


def get(name: str) -> Any:
    return getattr(settings, name, DEFAULTS[name])


@dataclass(frozen=True)
class ApprovalStep:
    """One step of an internal approval chain (项目审批流程)."""

    key: str
    label: str
    permission: str

    @property
    def label_display(self) -> str:
        return str(_(self.label))


def approval_chain(category: str) -> list[ApprovalStep]:
    """The ordered approval steps of a category (its own chain, else "default")."""
    chains = get("LISTINGS_APPROVAL_CHAINS")
    raw = chains.get(category) or chains["default"]
    return [ApprovalStep(key=s["key"], label=s["label"], permission=s["permission"]) for s in raw]


def all_steps() -> list[ApprovalStep]:
    """Every distinct step of every chain (for the staff queues), in first-seen order."""
    seen: dict[str, ApprovalStep] = {}
    for raw in get("LISTINGS_APPROVAL_CHAINS").values():
        for s in raw:
            seen.setdefault(s["key"], ApprovalStep(key=s["key"], label=s["label"], permission=s["permission"]))
    return list(seen.values())


DEFAULTS.update(
    {
        "LISTINGS_DISCLOSURE_END_HOUR": 17,  # disclosure closes at 17:00 on its last day
        "LISTINGS_REQUIRE_VALUATION_REPORT": True,
        "LISTINGS_HALL_COUNT_CACHE_MIN": 5000,
        "LISTINGS_HALL_COUNT_CACHE_SECONDS": 30,
        # the 成交公告 of a state-owned asset stays published at least this many working days
        # (企业国有资产交易监督管理办法, Art. 29: 不少于5个工作日); it cannot be withdrawn earlier
        "LISTINGS_STATE_OWNED_RESULT_WORKDAYS": 5,
        # the public notices list: longest keyword (characters)
        "LISTINGS_NOTICE_SEARCH_MAX": 50,
    }
)
