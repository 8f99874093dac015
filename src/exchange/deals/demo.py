"""Demo data of the deals app, loaded by `seed_demo` after trading's (idempotent, fast).

Six projects of our own (titles ending in “（成交示例）”, so trading's demo never uses
them), made through the listings services, each carried through the real services with
the clock moved back to one stage of a deal: awaiting signatures, awaiting review,
awaiting payment, paid with certificate issued, closed, and defaulted awaiting relist.
Looked up by title: a re-run creates only what is missing.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import logging
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from exchange.accounts.models import User
from exchange.core import clock
from exchange.deals import services
from exchange.deals.models import Deal
from exchange.listings import demo as listings_demo
from exchange.listings import selectors as listings_selectors
from exchange.settlement import selectors as settlement_selectors
from exchange.settlement import services as settlement

if TYPE_CHECKING:
    from exchange.listings.models import Project

logger = logging.getLogger(__name__)
REVIEWER, FINANCE, MANAGER = "13800000001", "13800000002", "13800000003"
SUFFIX = "（成交示例）"

# (title, category, seller, region, valuation/floor, deposit, attributes, buyer, price, stage, kind)
SPECS: list[tuple[Any, ...]] = [
    ("晋中市榆次区仓储用房转让", "real_estate", "13900000001", "140700", "2600000", "260000",
     {"area_m2": "1820", "use": "industrial", "location": "晋中市榆次区经纬路16号"}, "13900000011", "2780000", "open",
     "auction"),
    ("太原市晋源区农机设备一批转让", "asset", "13900000002", "140100", "380000", "38000",
     {"asset_type": "equipment", "quantity": "26", "quantity_unit": "台", "location": "太原市晋源区"}, "13900000012",
     "380000", "contract_signed", "agreement"),
    ("阳泉市某物流有限公司40%股权转让", "equity", "13900000001", "140300", "9600000", "900000",
     {"company": "阳泉市通达物流有限公司", "share_percent": "40", "registered_capital": "2000", "control_change": False},
     "13900000013", "10350000", "effective", "auction"),
    ("朔州市怀仁县500亩林地经营权转让", "forest", "13900000003", "140600", "720000", "70000",
     {"area_mu": "500", "species": "樟子松", "certificate_no": "晋(2017)怀仁县林权证字第000311号", "term_years": 25},
     "13900000011", "812000", "certificate_issued", "auction"),
    ("临汾市别克商务车转让（晋L·A5678）", "vehicle", "13900000002", "141000", "96000", "9000",
     {"brand": "别克", "model": "GL8 2.0T", "plate": "晋L·A5678", "mileage_km": 98000,
      "registration_date": "2019-04-10"}, "13900000012", "118000", "closed", "auction"),
    ("忻州市原平市闲置办公楼转让", "real_estate", "13900000003", "140900", "5400000", "500000",
     {"area_m2": "2360", "use": "office", "location": "原平市新原大街22号"}, "13900000011", "5520000", "defaulted",
     "auction"),
]  # fmt: skip

# 企业国有资产 (their 成交公告 follow Art. 29: required fields, ≥5 WD, no early withdrawal)
STATE_OWNED = {
    "阳泉市某物流有限公司40%股权转让",
    "朔州市怀仁县500亩林地经营权转让",
    "临汾市别克商务车转让（晋L·A5678）",
}

# how many days ago the deal was struck, per stage (so that deadlines are what the flow gives;
# the paid one's 成交公告 — a state-owned asset's — is then still in its 5-working-day window)
DAYS_AGO = {"open": 1, "contract_signed": 3, "effective": 5, "certificate_issued": 5, "closed": 21, "defaulted": 12}


def _user(phone: str) -> User | None:
    return User.objects.filter(phone=phone).first()


def _at(days_ago: float) -> dt.datetime:
    return clock.now() - dt.timedelta(days=days_ago)


def _project(spec: tuple[Any, ...], index: int, reviewer: User, manager: User) -> Project | None:
    title, category, seller, region, floor, deposit, attributes = spec[:7]
    demo = listings_demo.DemoProject(
        title + SUFFIX, category, seller, region, floor, floor, deposit, listings_selectors.ProjectStatus.DISCLOSURE_ENDED, attributes,
        method="agreement" if spec[10] == "agreement" else "dynamic", extra={"state_owned": title in STATE_OWNED},
    )  # fmt: skip
    project = listings_demo._make(demo, 20 + index, reviewer, manager, None)
    if project is not None:
        project.refresh_from_db()  # the worker ticks moved it on
    return project


def _deposit(project: Project, buyer: User, finance: User) -> None:
    """The buyer's deposit, confirmed by a bank statement line (the real matching path)."""

    instruction = settlement.deposit_instruction_create(
        project_id=project.pk, project_code=project.code or "", project_title=project.title, member=buyer,
        amount=project.deposit_amount, qualified_at=clock.now() - dt.timedelta(hours=2),
    )  # fmt: skip
    profile = settlement_selectors.bank_profile("generic")
    if profile is None:
        return
    now = clock.now() - dt.timedelta(hours=1)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    cols = profile.columns
    header = [cols[k] for k in ("bank_txn_id", "date", "time", "amount", "debit", "payer_name", "payer_account",
                                "payer_bank", "virtual_account", "remark")]  # fmt: skip
    writer.writerow(header)
    writer.writerow([f"DEMO-DEAL-{project.pk}", f"{now:%Y-%m-%d}", f"{now:%H:%M:%S}", str(instruction.amount), "",
                     buyer.name, "6222020200112233445", "中国工商银行太原分行", instruction.virtual_account, "保证金"])  # fmt: skip
    settlement.statement_import(
        profile_id=profile.pk, file_name=f"demo-deal-{project.pk}.csv", data=out.getvalue().encode(), actor=finance
    )


def _owed(deal: Deal) -> Decimal:
    plan = settlement_selectors.price_plan_for_project(deal.project_id)
    assert plan is not None and plan.pk == deal.price_plan_id
    paid = settlement_selectors.price_account_balance(member_id=deal.buyer_id, project_id=deal.project_id)
    return plan.amount_due - (paid or Decimal("0"))


def _advance(deal: Deal, stage: str, staff: dict[str, User]) -> None:
    start = DAYS_AGO[stage]
    if stage == "defaulted":
        with clock.frozen(_at(start - 8)):  # the signing deadline (5 WD) has passed
            services.defaults_run()
        return
    if stage == "open":
        return
    with clock.frozen(_at(start - 0.5)):
        services.contract_sign(deal_id=deal.pk, actor=deal.buyer, side="buyer")
        services.contract_sign(deal_id=deal.pk, actor=deal.seller, side="seller")
    if stage == "contract_signed":
        return
    with clock.frozen(_at(start - 1)):
        services.contract_review(deal_id=deal.pk, actor=staff["reviewer"], decision="approve")
    if stage == "effective":
        return
    deal.refresh_from_db()
    with clock.frozen(_at(start - 2)):
        services.deal_payment_record(
            deal_id=deal.pk, amount=_owed(deal), reference=f"DEMO-PRICE-{deal.pk}", actor=staff["finance"]
        )
        services.deal_paid(project_id=deal.project_id)  # idempotent: the price_paid handler may have run
        services.certificate_issue(deal_id=deal.pk)
    if stage == "certificate_issued":
        return
    deal.refresh_from_db()
    settlement.price_release(plan_id=deal.price_plan_id or 0)
    services.deal_funds_released(project_id=deal.project_id)
    services.deal_close(deal_id=deal.pk)


def seed() -> dict[str, int]:
    """Create the demo deals that are missing; return how many were created."""
    found = {"reviewer": _user(REVIEWER), "finance": _user(FINANCE), "manager": _user(MANAGER)}
    staff = {key: user for key, user in found.items() if user is not None}
    if len(staff) != len(found):
        return {"deals": 0}
    if not staff["reviewer"].has_perm("deals.review_contract"):  # accounts.roles.GRANT_APPS lacks "deals"
        logger.warning("deals demo skipped: the staff roles do not have the deals permissions yet")
        return {"deals": 0}
    created = 0
    for index, spec in enumerate(SPECS):
        title = spec[0] + SUFFIX
        if Deal.objects.filter(project__title=title).exists():
            continue
        buyer = _user(spec[7])
        project = listings_selectors.project_by_title(title) or _project(
            spec, index, staff["reviewer"], staff["manager"]
        )
        if buyer is None or project is None or project.status != listings_selectors.ProjectStatus.DISCLOSURE_ENDED:
            continue
        stage, kind = spec[9], spec[10]
        with clock.frozen(_at(DAYS_AGO[stage])):
            _deposit(project, buyer, staff["finance"])
            deal = services.deal_open(
                project_id=project.pk, buyer_id=buyer.pk, price=Decimal(spec[8]), kind=kind,
                bidder_no="A003" if kind == "auction" else "",
            )  # fmt: skip
        _advance(deal, stage, staff)
        created += 1
    return {"deals": created}
