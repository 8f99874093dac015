"""Demo data of the trading app, loaded by `seed_demo` after listings, settlement, bidding
and members (idempotent: looked up by project title / existing applications).

Everything goes through the services with the clock moved, so dates, notices, deposits,
bidder numbers and the audit trail are what the real flow produces:
- listings' 股权 project in disclosure gets one application per review state
  (待审核, 资格已确认待交保证金, 未通过 with a published condition, 竞买人);
- three projects of our own whose disclosure ended with 陈明 and 刘芳 as bidders:
  one BIDDING with an auction scheduled in 3 working days, one BIDDING with a live
  增价竞价 (English) open for three days that both demo buyers can bid in, and one FAILED
  (流拍) after an auction nobody bid in, with its 流拍公告.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from exchange.accounts.models import User
from exchange.bidding import engine
from exchange.bidding import selectors as bidding_selectors
from exchange.core import clock
from exchange.core.models import Region
from exchange.listings import selectors as listings_selectors
from exchange.listings import services as listings
from exchange.listings.demo import TERMS, add_files, with_disclosure
from exchange.settlement import selectors as settlement_selectors
from exchange.settlement import services as settlement
from exchange.trading import conf, services
from exchange.trading.models import Application

if TYPE_CHECKING:
    from exchange.listings.models import Project

REVIEWER, MANAGER, FINANCE = "13800000001", "13800000003", "13800000002"
CHEN, LIU, ENTITY = "13900000011", "13900000012", "13900000013"
REVIEW_PROJECT = "晋中市示范机械制造有限公司35%股权转让"
PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
COND = "依法设立并有效存续的境内企业法人、其他经济组织或具有完全民事行为能力的自然人；具有良好的财务状况和支付能力；具有良好商业信用。"
HEADER = "交易流水号,交易日期,交易时间,贷方金额,借方金额,对方户名,对方账号,对方开户行,收款子账号,摘要"

# (title, category, seller, region, floor, deposit, method, attributes, what becomes of it)
OWN = [
    ("太原市某热力有限公司40%股权转让", "equity", "13900000002", "140100", "6800000", "600000", "dynamic",
     {"company": "太原市某热力有限公司", "share_percent": "40", "registered_capital": "2000", "control_change": False},
     "scheduled"),
    ("大同市平城区临街商铺转让（竞价演示）", "real_estate", "13900000003", "140200", "2350000", "200000", "english",
     {"area_m2": "186.4", "use": "commercial", "location": "大同市平城区魏都大道18号1层"}, "live"),
    ("忻州市某机械厂二手数控设备一批转让", "asset", "13900000001", "140900", "380000", "30000", "dynamic",
     {"asset_type": "equipment", "quantity": "8", "quantity_unit": "台", "location": "忻州市忻府区"}, "failed"),
]  # fmt: skip


def _user(phone: str) -> User | None:
    return User.objects.filter(phone=phone).first()


def _files(project: Project, user: User) -> dict[str, SimpleUploadedFile]:
    terms = services.terms_ensure(project_id=project.pk)
    # named as a buyer would name them (staff see these names on the review page)
    return {k: SimpleUploadedFile(f"{conf.MATERIAL_LABELS.get(k, k)}.pdf", PDF, content_type="application/pdf")
            for k in services.required_materials(terms, user)}  # fmt: skip


def _apply(project: Project, user: User, extra: int = 0, *, signed_letter: bool = False) -> Application:
    """Apply with the asked files; the commitment letter accepted online, or (`signed_letter`)
    filed as the signed letter instead."""
    files = _files(project, user)
    if signed_letter:
        files["commitment"] = SimpleUploadedFile("受让资格承诺函（已盖章）.pdf", PDF, content_type="application/pdf")
    return services.application_submit(
        project_id=project.pk, applicant=user, materials=files, commitment_accepted=not signed_letter,
        bid_floor=project.floor_price + Decimal(extra), contact_name=user.name, contact_phone=user.phone,
    )  # fmt: skip


def _generic_profile_id() -> int:
    profile = settlement_selectors.bank_profile("generic")
    assert profile is not None  # reference data of settlement's migrations
    return profile.pk


def _pay(apps: list[Application], finance: User) -> None:
    """The deposits arrive with a bank statement (settlement) and the buyers become 竞买人."""

    local = timezone.localtime(clock.now())
    rows = [HEADER]
    for app in apps:
        d = settlement_selectors.deposit_instruction(app.deposit_instruction_id)
        assert d is not None
        rows.append(f"TRD{d.pk:07d},{local:%Y-%m-%d},{local:%H:%M:%S},{d.amount},,{app.applicant.name},"
                    f"6222020502{app.applicant_id:09d},中国工商银行太原分行,{d.virtual_account},保证金")  # fmt: skip
    settlement.statement_import(
        profile_id=_generic_profile_id(),
        file_name=f"演示-受让保证金-{apps[0].project_id}.csv",
        data=("\r\n".join(rows) + "\r\n").encode("gbk"),
        actor=finance,
    )
    for app in apps:  # the signal does this after commit; applying it here keeps the seed order-proof
        services.deposit_confirmed_apply(
            project_id=app.project_id, member_id=app.applicant_id, instruction_id=app.deposit_instruction_id or 0
        )


def _review_project(reviewer: User, finance: User) -> int:
    project = listings_selectors.project_by_title(REVIEW_PROJECT, status=listings_selectors.ProjectStatus.DISCLOSURE)
    buyers = [_user(p) for p in (ENTITY, CHEN, "13900000003", LIU)]
    if project is None or Application.objects.filter(project=project).exists() or None in buyers:
        return 0
    # the entity, still in review, filed the signed letter; the others accepted it online
    submitted, qualified, rejected, paid = (
        _apply(project, u, 10000 * i, signed_letter=i == 0)  # type: ignore[arg-type]
        for i, u in enumerate(buyers)
    )
    services.application_review(application_id=qualified.pk, actor=reviewer, decision="qualify", note="材料齐全。")
    reason = services.condition_items(project.buyer_conditions)[1]
    services.application_review(
        application_id=rejected.pk, actor=reviewer, decision="reject", reasons=[reason],
        note="资信证明金额不足以覆盖转让底价。",
    )  # fmt: skip
    paid = services.application_review(application_id=paid.pk, actor=reviewer, decision="qualify")
    _pay([paid], finance)
    assert submitted.status == "submitted"
    return 4


def _own_project(spec: tuple[Any, ...], reviewer: User, manager: User, finance: User) -> Project | None:
    title, category, seller_phone, region_code, floor, deposit, method, attributes, fate = spec
    seller, region = _user(seller_phone), Region.objects.filter(code=region_code).first()
    chen, liu = _user(CHEN), _user(LIU)
    if seller is None or region is None or chen is None or liu is None:
        return None
    now = clock.now()
    valued_on = timezone.localdate(now - dt.timedelta(days=120))
    attributes = with_disclosure(category, title, attributes, seller_phone=seller_phone, valuation=Decimal(floor),
                                 valuation_date=valued_on)  # fmt: skip
    with clock.frozen(now - dt.timedelta(days=45)):
        project = listings.project_create(
            actor=seller, title=title, category=category, region_id=region.pk, valuation=Decimal(floor),
            valuation_date=valued_on, floor_price=Decimal(floor), deposit_amount=Decimal(deposit),
            trading_method=method, buyer_conditions=COND, payment_terms=TERMS, attributes=attributes,
            description=f"{title}。标的权属清晰，已经具有资质的评估机构评估。",
        )  # fmt: skip
        add_files(project, seller)
        listings.project_submit(project_id=project.pk, actor=seller)
        listings.project_review(project_id=project.pk, actor=reviewer, decision="approve", comment="材料齐全，同意。")
        listings.project_review(project_id=project.pk, actor=manager, decision="approve", comment="同意挂牌。")
    project.refresh_from_db()
    assert project.disclosure_start is not None and project.ends_at is not None
    opened = timezone.make_aware(dt.datetime.combine(project.disclosure_start, dt.time(10)))
    with clock.frozen(opened):
        listings.project_advance(project_id=project.pk)
    with clock.frozen(opened + dt.timedelta(days=1)):
        terms: dict[str, Any] = {"live": {"free_period_seconds": 3 * 24 * 3600, "window_seconds": 300, "extension_seconds": 300},
                                 "failed": {"free_period_seconds": 600, "countdown_seconds": 180}}.get(fate, {})  # fmt: skip
        services.terms_update(project_id=project.pk, actor=reviewer, **terms)
        apps = [_apply(project, chen), _apply(project, liu, 20000)]
        apps = [services.application_review(application_id=a.pk, actor=reviewer, decision="qualify") for a in apps]
        _pay(apps, finance)
    with clock.frozen(project.ends_at + dt.timedelta(minutes=1)):
        listings.project_advance(project_id=project.pk)
    if fate == "scheduled":
        services.outcome_decide(project_id=project.pk)
    elif fate == "live":
        services.outcome_decide(project_id=project.pk, auction_starts_at=now - dt.timedelta(minutes=30))
    else:
        _failed(project)
    return project


def _failed(project: Project) -> None:
    """An auction a week ago that nobody bid in: closed, 流拍, deposits refunded."""

    assert project.ends_at is not None
    start = project.ends_at + dt.timedelta(days=3)
    with clock.frozen(project.ends_at + dt.timedelta(hours=1)):
        outcome = services.outcome_decide(project_id=project.pk, auction_starts_at=start)
    assert outcome is not None and outcome.auction_id is not None
    auction = bidding_selectors.auction_get(outcome.auction_id)
    assert auction is not None
    with clock.frozen(auction.ends_at + dt.timedelta(seconds=1)):
        engine.auction_close(auction_id=auction.pk)
        auction.refresh_from_db()
        services.auction_result_apply(auction_id=auction.pk, result=auction.result, winner_user_id=None, price=None)


def seed() -> dict[str, int]:
    """Create the demo applications and trading outcomes that are missing."""
    reviewer, manager, finance = _user(REVIEWER), _user(MANAGER), _user(FINANCE)
    if reviewer is None or manager is None or finance is None:
        return {}
    created = {"applications": _review_project(reviewer, finance), "projects": 0}
    for spec in OWN:
        if listings_selectors.project_by_title(spec[0]) is not None:
            continue
        created["projects"] += _own_project(spec, reviewer, manager, finance) is not None
    return created
