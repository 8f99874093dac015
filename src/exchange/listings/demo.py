"""Demo data of the listings app, loaded by `seed_demo` after accounts (idempotent).

Projects in every category and every state of this app, made through the services with
the clock moved back, so dates, codes, notices and the audit trail are what the real
flow produces. Looked up by title: a re-run creates only what is missing.
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, ImageDraw

from exchange.accounts.models import User
from exchange.core import clock
from exchange.core.models import Region
from exchange.listings import services
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


def _pdf() -> SimpleUploadedFile:
    """A small valid one-page PDF (评估报告 placeholder)."""
    body = (
        b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
        b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
    )
    return SimpleUploadedFile("资产评估报告.pdf", body, content_type="application/pdf")


def _photo(seed: int) -> SimpleUploadedFile:
    palette = [(86, 130, 89), (120, 144, 156), (176, 132, 80), (96, 125, 139), (140, 110, 90)]
    color = palette[seed % len(palette)]
    image = Image.new("RGB", (800, 600), color)
    draw = ImageDraw.Draw(image)
    for i in range(6):
        draw.rectangle(
            (60 + i * 110, 300 - i * 30, 140 + i * 110, 560), fill=tuple(min(255, c + 30 + i * 8) for c in color)
        )
    draw.ellipse((620, 60, 720, 160), fill=(250, 230, 160))
    buf = io.BytesIO()
    image.save(buf, format="JPEG", quality=80)
    return SimpleUploadedFile(f"现场照片{seed}.jpg", buf.getvalue(), content_type="image/jpeg")


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
    data: dict[str, Any] = {
        "title": spec.title, "category": spec.category, "region_id": region.pk,
        "valuation": Decimal(spec.valuation), "floor_price": Decimal(spec.floor), "deposit_amount": Decimal(spec.deposit),
        "trading_method": spec.method, "buyer_conditions": COND, "payment_terms": TERMS,
        "description": spec.description or f"{spec.title}。标的权属清晰，已经具有资质的评估机构评估。", "attributes": spec.attributes,
        **spec.extra,
    }  # fmt: skip
    with clock.frozen(start):
        project = services.project_create(actor=seller, **data)
        services.attachment_add(project_id=project.pk, actor=seller, kind="valuation_report", upload=_pdf())
        for n in range(2):
            services.attachment_add(project_id=project.pk, actor=seller, kind="photo", upload=_photo(index * 2 + n))
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
    return {"projects": created}
