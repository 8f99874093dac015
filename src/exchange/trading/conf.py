"""Business numbers of the trading app, each a Django setting with the default of docs/design/domain-rules.md.

Read through `get()` at call time (never at import), so tests override them with
pytest-django's `settings` fixture. A project's own numbers live in `TradingTerms`,
created on demand from these defaults.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.utils.translation import gettext_lazy as _

# Material kinds a buyer may be asked for (key → label). Entity-only kinds are asked of
# legal entities (单位) only.
MATERIAL_LABELS: dict[str, Any] = {
    "id_proof": _("营业执照或身份证明"),
    "commitment": _("受让资格承诺函"),
    "credit_proof": _("资信证明"),
    "internal_decision": _("内部决策文件"),
    "authorization": _("授权委托书"),
    "qualification": _("相关资质证明"),
}
ENTITY_ONLY_MATERIALS = frozenset({"internal_decision"})
# The 受让资格承诺函 is given online (its text accepted on the form) or as this signed file;
# it is not asked as a file of its own.
COMMITMENT = "commitment"


def application_body_bytes() -> int:
    """The request-body limit of the application form: one file per material kind and the form."""
    return len(MATERIAL_LABELS) * int(settings.UPLOAD_MAX_MATERIAL_BYTES) + int(settings.REQUEST_MAX_BODY_BYTES)


DEFAULTS: dict[str, Any] = {
    # per category: the materials asked by default (staff change them per project)
    "TRADING_MATERIALS": {
        "equity": ["id_proof", "commitment", "credit_proof", "internal_decision"],
        "capital_increase": ["id_proof", "commitment", "credit_proof", "internal_decision"],
        "mining": ["id_proof", "commitment", "credit_proof", "qualification"],
        "*": ["id_proof", "commitment"],
    },
    "TRADING_ALLOW_CONSORTIUM": False,
    "TRADING_REQUIRE_BID_FLOOR": True,  # 意向报价 ≥ 转让底价 (docs/design/domain-rules.md §R15)
    "TRADING_SELLER_OPINION_REQUIRED": False,
    "TRADING_JOINT_REVIEW": False,
    "TRADING_ON_NO_BUYER": "extend",  # extend | relist | terminate
    "TRADING_INCREMENT_RATIO": "0.01",  # default increment: 1% of the floor, rounded to 100 yuan
    "TRADING_COUNTDOWN_SECONDS": 180,  # 动态报价 T
    "TRADING_FREE_PERIOD_SECONDS": 3600,  # 动态报价 free period; English / sealed main period
    "TRADING_WINDOW_SECONDS": 120,  # English W (commercial 2 min)
    "TRADING_EXTENSION_SECONDS": 300,  # English E (5 min)
    "TRADING_AUCTION_DELAY_WORKDAYS": 3,  # the auction starts N working days after the outcome
    "TRADING_AUCTION_HOUR": 10,  # … at this hour (local time)
    "TRADING_AUCTION_DELAY_MINUTES": None,  # tests and demos: start N minutes after the outcome instead
    "TRADING_REVIEW_SLA_WORKDAYS": 2,  # qualification review due within N WD of the application
    # the 受让资格承诺函's text version (templates/trading/commitments/): change it with the text
    "TRADING_COMMITMENT_VERSION": "2026-02",
    "TRADING_MATERIAL_MAX_BYTES": 10 * 1024 * 1024,
    "TRADING_MATERIAL_TYPES": ["pdf", "jpg", "jpeg", "png"],
    # files uploaded as they are chosen, kept as drafts until the application is filed:
    # at most this many and this many bytes per member (all projects), removed when unused this long
    "TRADING_DRAFT_MAX_FILES": 30,
    "TRADING_DRAFT_MAX_BYTES": 100 * 1024 * 1024,
    "TRADING_DRAFT_MAX_AGE_HOURS": 7 * 24,
}


def get(name: str) -> Any:
    return getattr(settings, name, DEFAULTS[name])


def materials_for(category: str) -> list[str]:
    table = get("TRADING_MATERIALS")
    return list(table.get(category, table.get("*", [])))
