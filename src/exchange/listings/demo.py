"""Demo data of the listings app, loaded by `seed_demo` after accounts (idempotent).

Projects in every category and every state of this app, made through the services with
the clock moved back, so dates, codes, notices and the audit trail are what the real
flow produces. Looked up by title: a re-run creates only what is missing.
"""

from __future__ import annotations

import datetime as dt
import random
import zlib
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.utils import timezone
from stdnum.cn import uscc

from exchange.accounts.models import User
from exchange.brokers import selectors as broker_selectors
from exchange.core import clock
from exchange.core.models import Region
from exchange.listings import demo_media, services
from exchange.listings.models import Project, Status

REVIEWER, MANAGER = "13800000001", "13800000003"
BIDDER = "13900000011"


@dataclass(frozen=True)
class DemoProject:
    title: str
    category: str
    seller: str  # phone
    region: str  # code
    valuation: str
    floor: str
    deposit: str
    state: str  # target Status
    attributes: dict[str, Any]
    method: str = "dynamic"
    extra: dict[str, Any] = field(default_factory=dict)
    description: str = ""


COND = "依法设立并有效存续的境内企业法人、其他经济组织或具有完全民事行为能力的自然人；具有良好的财务状况和支付能力；具有良好商业信用。"
TERMS = "受让方须在《产权交易合同》生效之日起5个工作日内将交易价款一次性支付至交易中心指定结算账户。"

PROJECTS = [
    DemoProject("吕梁市交城县1200亩林地经营权转让", "forest", "13900000003", "141100", "1860000", "1860000", "180000",
                Status.DISCLOSURE, {"area_mu": "1200", "species": "油松、华北落叶松", "certificate_no": "晋(2019)交城县林权证字第000128号",
                                    "term_years": 30, "location": "交城县西社镇"},
                description="林地位于交城县西社镇，林龄15—25年，交通便利，已完成森林资源资产评估。"),
    DemoProject("太原市迎泽区迎泽大街商业用房转让", "real_estate", "13900000002", "140100", "4280000", "4300000", "400000",
                Status.DISCLOSURE, {"area_m2": "356.8", "use": "commercial", "location": "太原市迎泽区迎泽大街88号1层",
                                    "certificate_no": "晋(2018)太原市不动产权第0012345号"}, method="english"),
    DemoProject("大同市云冈区宝山煤矿采矿权转让", "mining", "13900000001", "140200", "80000000", "80000000", "8000000",
                Status.DISCLOSURE, {"mineral": "煤", "reserves": "1260", "reserves_unit": "万吨", "licence_no": "C1400002009121220045678",
                                    "right_type": "mining", "area_km2": "4.32"}, method="sealed"),
    DemoProject("晋中市示范机械制造有限公司35%股权转让", "equity", "13900000001", "140700", "12500000", "12500000", "1200000",
                Status.DISCLOSURE, {"company": "晋中市示范机械制造有限公司", "share_percent": "35", "registered_capital": "3000",
                                    "control_change": False, "industry": "通用设备制造业"}),
    DemoProject("太原新材料科技股份有限公司增资扩股", "capital_increase", "13900000002", "140100", "50000000", "50000000",
                "2000000", Status.PRE_DISCLOSURE, {"company": "太原新材料科技股份有限公司", "amount_min": "3000", "amount_max": "5000",
                                                   "share_min": "10", "share_max": "20", "investors_min": 1, "investors_max": 3,
                                                   "control_change": False},
                extra={"pre_disclosure": True, "pre_disclosure_wd": 20, "disclosure_wd": 20}),
    DemoProject("丰田凯美瑞公务车辆转让（晋A·D1234）", "vehicle", "13900000002", "140100", "68000", "68000", "5000",
                Status.DISCLOSURE_ENDED, {"brand": "丰田", "model": "凯美瑞 2.5G", "plate": "晋A·D1234", "mileage_km": 126000,
                                          "registration_date": "2017-08-15"}),
    DemoProject("长治市闲置数控机床等设备一批转让", "asset", "13900000001", "140400", "920000", "920000", "90000",
                Status.EXTENDED, {"asset_type": "equipment", "quantity": "12", "quantity_unit": "台", "location": "长治市潞州区"}),
    DemoProject("晋城市阳城县300亩土地经营权流转", "rural", "13900000003", "140500", "450000", "450000", "45000",
                Status.SUSPENDED, {"right_type": "land_management", "area_mu": "300", "term_years": 15, "location": "阳城县凤城镇"}),
    DemoProject("“煤矸石综合利用方法”发明专利转让", "ip", "13900000001", "140100", "600000", "600000", "50000",
                Status.RELISTED, {"ip_type": "patent", "registration_no": "ZL202010123456.7", "expires_on": "2040-03-01"}),
    DemoProject("运城市某商贸有限公司80万元债权转让", "debt", "13900000002", "140800", "800000", "800000", "80000",
                Status.TERMINATED, {"debtor": "运城市某商贸有限公司", "principal": "800000", "interest": "56000",
                                    "guarantee": "保证担保"}),
    DemoProject("忻州市五台县林地经营权转让（待补正）", "forest", "13900000003", "140900", "300000", "300000", "30000",
                Status.RETURNED, {"area_mu": "260", "species": "山杨", "certificate_no": "晋林证(2016)第0456号", "term_years": 20}),
    DemoProject("临汾市尧都区住宅一套转让", "real_estate", "13900000002", "141000", "980000", "980000", "90000",
                Status.SUBMITTED, {"area_m2": "118.5", "use": "residential", "location": "临汾市尧都区鼓楼南街"}),
    DemoProject("朔州市工程车辆三台打包转让", "vehicle", "13900000001", "140600", "360000", "360000", "30000",
                Status.UNDER_REVIEW, {"brand": "三一重工", "model": "SY215C 挖掘机", "plate": "晋F·00001等", "mileage_km": 5200,
                                      "registration_date": "2019-04-01"}),
    DemoProject("阳泉市某化工厂报废设备转让", "asset", "13900000001", "140300", "150000", "150000", "15000",
                Status.REJECTED, {"asset_type": "scrap", "location": "阳泉市郊区"}),
    DemoProject("吕梁市离石区集体经营性资产租赁权转让", "rural", "13900000003", "141100", "200000", "200000", "20000",
                Status.DRAFT, {"right_type": "collective_assets", "area_mu": "12", "term_years": 10}),
    DemoProject("太原市小店区写字楼整层转让", "real_estate", "13900000001", "140100", "26000000", "26000000", "2600000",
                Status.SCHEDULED, {"area_m2": "1650", "use": "office", "location": "太原市小店区长治路"}),
]  # fmt: skip


# --------------------------------------------------------------------------- disclosure

# the sellers' contact persons (联系方式): demo names and numbers
CONTACTS = {
    "13900000001": ("赵建国", "0351-7020001"),
    "13900000002": ("孙丽", "0351-4061288"),
    "13900000003": ("刘志强", "0358-8221066"),
}
APPRAISERS = ("山西三晋正信资产评估有限公司", "太原汾河资产评估事务所有限公司", "晋源联合资产评估有限公司")
AUDITORS = ("山西三晋会计师事务所（特殊普通合伙）", "太原汾河会计师事务所有限公司")
METHODS = {
    "equity": "asset_based", "capital_increase": "income", "real_estate": "market", "vehicle": "market",
    "asset": "cost", "forest": "income", "rural": "income", "mining": "income", "ip": "income", "debt": "other",
}  # fmt: skip
VIEWING = "工作日9:00—17:00看样，请提前一个工作日电话预约。"


@dataclass(frozen=True)
class DemoCompany:
    """标的企业基本情况 and 股权结构 of a demo company (its figures follow from the valuation)."""

    id17: str  # the first 17 characters of its 统一社会信用代码
    kind: str
    legal_rep: str
    established: str
    address: str
    industry: str
    employees: int
    scope: str
    shareholders: tuple[tuple[str, str], ...]
    capital: str = ""  # 注册资本（万元）, where the project does not give it


COMPANIES = {
    "晋中市示范机械制造有限公司": DemoCompany(
        "91140700MA0H8K2P5", "llc", "李国栋", "2003-06-18", "晋中市榆次区工业园区汇通路8号", "通用设备制造业", 286,
        "矿山机械、液压支架、输送设备的设计、制造、销售及维修；机械零部件加工；货物进出口。",
        (("山西晋能资产管理有限公司", "55"), ("晋中市国有资本投资运营有限公司", "30"),
         ("晋中市示范机械制造有限公司工会委员会", "15")),
    ),
    "太原新材料科技股份有限公司": DemoCompany(
        "91140100MA0J5T7W2", "joint_stock", "周文博", "2012-09-03", "太原市小店区长治路227号", "新材料技术推广服务", 164,
        "石墨烯及碳纤维复合材料的研发、生产、销售；技术咨询、技术转让；货物进出口。",
        (("太原市国有资本运营有限公司", "62"), ("山西科创投资有限公司", "23"), ("太原新材员工持股中心（有限合伙）", "15")),
        capital="8000",
    ),
    "太原市某热力有限公司": DemoCompany(
        "91140100MA0G3N6R8", "llc", "杜建平", "2008-11-20", "太原市万柏林区和平北路96号", "热力生产和供应", 412,
        "集中供热；热力管网建设、运营、维护；供热设备安装及维修。",
        (("太原市国有资本运营有限公司", "60"), ("山西华晋热电投资有限公司", "40")),
    ),
    "阳泉市通达物流有限公司": DemoCompany(
        "91140300MA0K1D4F6", "llc", "王海军", "2010-04-12", "阳泉市城区桃北西街56号", "道路货物运输", 138,
        "普通货运；仓储服务（危险化学品除外）；货物装卸搬运；物流信息咨询。",
        (("山西晋能资产管理有限公司", "70"), ("阳泉市交通投资有限公司", "30")),
    ),
}  # fmt: skip


def _money(value: Decimal) -> str:
    return str(value.quantize(Decimal("0.01")))


def _company_disclosure(
    attributes: dict[str, Any], valuation: Decimal, year: int, rng: random.Random
) -> dict[str, Any]:
    """标的企业基本情况, 股权结构 and the audited figures of a company, consistent with the
    valuation: 净资产评估值 = 评估价 ÷ 转让比例; 资产总额 − 负债总额 = 所有者权益."""
    company = COMPANIES.get(str(attributes.get("company", "")))
    if company is None:
        return {}
    share = Decimal(str(attributes.get("share_percent") or 100))
    appraised = valuation * 100 / share
    book = appraised / (1 + Decimal(rng.randint(8, 22)) / 100)
    equity = (book * Decimal(rng.randint(95, 99)) / 100).quantize(Decimal("0.01"))
    assets = (equity / (1 - Decimal(rng.randint(35, 58)) / 100)).quantize(Decimal("0.01"))
    revenue = assets * Decimal(rng.randint(55, 140)) / 100
    return {
        "co_uscc": company.id17 + uscc.calc_check_digit(company.id17),
        "co_type": company.kind,
        "co_legal_rep": company.legal_rep,
        "co_established": company.established,
        "co_address": company.address,
        "industry": company.industry,
        "co_employees": company.employees,
        "co_scope": company.scope,
        **({"registered_capital": company.capital} if company.capital else {}),
        "shareholders": [{"name": name, "percent": percent} for name, percent in company.shareholders],
        "fin_year": year,
        "fin_auditor": AUDITORS[rng.randrange(len(AUDITORS))],
        "fin_total_assets": _money(assets),
        "fin_total_liabilities": _money(assets - equity),
        "fin_equity": _money(equity),
        "fin_revenue": _money(revenue),
        "fin_net_profit": _money(revenue * Decimal(rng.randint(2, 8)) / 100),
        "val_book_value": _money(book),
        "val_appraised_value": _money(appraised),
        "val_filing": "山西省人民政府国有资产监督管理委员会（备案）",
    }


def with_disclosure(
    category: str, title: str, attributes: dict[str, Any], *, seller_phone: str, valuation: Decimal,
    valuation_date: dt.date,
) -> dict[str, Any]:  # fmt: skip
    """A demo project's attributes with its disclosure filled in (what the spec lists for the
    category): contact, valuation and, for a company, its basics, shareholders and audited
    figures. Deterministic per title; values given in `attributes` win."""
    rng = random.Random(zlib.crc32(title.encode()))
    name, phone = CONTACTS.get(seller_phone, ("周主任", "0351-5550000"))
    out: dict[str, Any] = {
        "contact_name": name,
        "contact_phone": phone,
        "val_firm": APPRAISERS[rng.randrange(len(APPRAISERS))],
        "val_method": METHODS.get(category, "market"),
    }
    if category not in ("equity", "capital_increase", "debt", "ip"):
        out["contact_viewing"] = VIEWING
    if category in ("equity", "capital_increase"):
        out.update(_company_disclosure(attributes, valuation, valuation_date.year - 1, rng))
    else:
        out["val_book_value"] = _money(valuation * Decimal(rng.randint(62, 94)) / 100)
    return {**out, **attributes}


def add_files(project: Project, actor: User) -> None:
    """The valuation report summary (a PDF with the project's figures) and two pictures of the asset."""
    report = demo_media.valuation_report(
        title=project.title, category=project.category, seller=project.seller.name, attributes=project.attributes,
        valuation=project.valuation, valuation_date=project.valuation_date, exchange_name=settings.EXCHANGE_NAME,
    )  # fmt: skip
    services.attachment_add(project_id=project.pk, actor=actor, kind="valuation_report", upload=report,
                            caption="评估报告摘要")  # fmt: skip
    for upload, caption in demo_media.photos(project.category, project.title, project.attributes):
        services.attachment_add(project_id=project.pk, actor=actor, kind="photo", upload=upload, caption=caption)


def _user(phone: str) -> User | None:
    return User.objects.filter(phone=phone).first()


def _tick(at: dt.datetime) -> None:
    with clock.frozen(at):
        services.listings_tick()


def _make(spec: DemoProject, index: int, reviewer: User, manager: User, bidder: User | None) -> Project | None:
    seller = _user(spec.seller)
    region = Region.objects.filter(code=spec.region).first()
    if seller is None or region is None:
        return None
    now = clock.now()
    # when the application was approved, so that today it is in the target state
    days_back: int = {  # type: ignore[call-overload]
        Status.DISCLOSURE: 3 + index, Status.PRE_DISCLOSURE: 4, Status.DISCLOSURE_ENDED: 40,
        Status.EXTENDED: 40, Status.SUSPENDED: 6, Status.RELISTED: 45, Status.TERMINATED: 5,
    }.get(spec.state, 0)  # fmt: skip
    start = now - dt.timedelta(days=days_back)
    valuation_date = timezone.localdate(start - dt.timedelta(days=75))
    attributes = with_disclosure(spec.category, spec.title, spec.attributes, seller_phone=spec.seller,
                                 valuation=Decimal(spec.valuation), valuation_date=valuation_date)  # fmt: skip
    data: dict[str, Any] = {
        "title": spec.title, "category": spec.category, "region_id": region.pk,
        "valuation": Decimal(spec.valuation), "valuation_date": valuation_date, "floor_price": Decimal(spec.floor),
        "deposit_amount": Decimal(spec.deposit), "trading_method": spec.method, "buyer_conditions": COND,
        "payment_terms": TERMS, "attributes": attributes,
        "description": spec.description or f"{spec.title}。标的权属清晰，已经具有资质的评估机构评估。",
        **spec.extra,
    }  # fmt: skip
    with clock.frozen(start):
        project = services.project_create(actor=seller, **data)
        add_files(project, seller)
        if spec.state == Status.DRAFT:
            return project
        services.project_submit(project_id=project.pk, actor=seller)
        if spec.state == Status.SUBMITTED:
            return project
        services.project_review(project_id=project.pk, actor=reviewer, decision="approve", comment="材料齐全，同意。")
        if spec.state == Status.UNDER_REVIEW:
            return project
        if spec.state in (Status.RETURNED, Status.REJECTED):
            decision = "return" if spec.state == Status.RETURNED else "reject"
            comment = (
                "请补充林权证复印件及村民代表大会决议。" if decision == "return" else "标的权属存在争议，不予挂牌。"
            )
            services.project_review(project_id=project.pk, actor=manager, decision=decision, comment=comment)
            return project
        services.project_review(project_id=project.pk, actor=manager, decision="approve", comment="同意挂牌。")
    if spec.state == Status.SCHEDULED:
        return project
    project.refresh_from_db()
    assert project.disclosure_start is not None
    for _step in range(3):  # each pass of the worker moves a project one step
        _tick(now)
    if spec.state == Status.EXTENDED:
        services.project_extend(project_id=project.pk, actor=manager)
    elif spec.state == Status.RELISTED:
        services.project_relist(project_id=project.pk, actor=manager, floor_price=Decimal(spec.floor) * Decimal("0.9"))
    if spec.state == Status.SUSPENDED:
        services.project_suspend(project_id=project.pk, actor=manager, reason="标的涉及权属纠纷，等待法院裁定。",
                                 until=clock.today() + dt.timedelta(days=20))  # fmt: skip
    if spec.state == Status.TERMINATED:
        services.project_terminate(project_id=project.pk, actor=manager, reason="转让方申请终止转让。")
    if spec.state == Status.DISCLOSURE and bidder is not None:
        q = services.question_ask(project_id=project.pk, actor=bidder, body="标的是否可以实地查看？需要提前预约吗？")
        services.question_answer(question_id=q.pk, actor=seller, body="可以。请于工作日提前一天联系转让方预约查看。")
        services.question_moderate(question_id=q.pk, actor=manager, publish=True)
        services.follow_toggle(project_id=project.pk, user=bidder)
    return project


BROKER, BROKER_SELLER = "13900000021", "13900000001"
FILED_TITLE = "太原市小店区长风街办公用房转让（经纪代理）"


def _broker_draft() -> int:
    """A draft filed by the demo broker under its accepted mandate from seller 1 (the brokers
    demo, seeded before this one, grants it); none when the broker or mandate is missing."""
    broker, seller = _user(BROKER), _user(BROKER_SELLER)
    if broker is None or seller is None or not broker_selectors.mandates_for_filing(broker, seller, "real_estate"):
        return 0
    region = Region.objects.filter(code="140100").first()
    if region is None or Project.objects.filter(title=FILED_TITLE).exists():
        return 0

    valued_on = clock.today() - dt.timedelta(days=60)
    attributes = with_disclosure(
        "real_estate", FILED_TITLE, {"area_m2": "420.5", "use": "office", "location": "太原市小店区长风街20号6层"},
        seller_phone=seller.phone, valuation=Decimal("2680000"), valuation_date=valued_on,
    )  # fmt: skip
    project = services.project_create(
        actor=broker, seller=seller, title=FILED_TITLE, category="real_estate", region_id=region.pk,
        valuation=Decimal("2680000"), valuation_date=valued_on, floor_price=Decimal("2680000"),
        deposit_amount=Decimal("260000"), trading_method="english",
        buyer_conditions="依法设立并有效存续的境内企业法人或具有完全民事行为能力的自然人。",
        payment_terms="合同生效之日起5个工作日内一次性付清。",
        description="办公用房位于太原市小店区长风街，经纪会员受转让方委托代为挂牌。", attributes=attributes,
    )  # fmt: skip
    add_files(project, broker)
    return 1


def seed() -> dict[str, int]:
    """Create the demo projects that are missing; return counts of what was created."""
    reviewer, manager, bidder = _user(REVIEWER), _user(MANAGER), _user(BIDDER)
    if reviewer is None or manager is None:
        return {"projects": 0}
    created = 0
    for index, spec in enumerate(PROJECTS):
        if Project.objects.filter(title=spec.title).exists():
            continue
        created += _make(spec, index, reviewer, manager, bidder) is not None
    return {"projects": created + _broker_draft()}
