"""Factories and helpers for the listings tests."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from exchange.accounts.models import User
from exchange.core import clock
from exchange.core.models import Region
from exchange.listings import services
from exchange.listings.models import Project
from tests.factories import UserFactory

CONTACT = {"contact_name": "赵建国", "contact_phone": "0351-7020001"}
FOREST_ATTRS = {"area_mu": "1200", "species": "油松", "certificate_no": "晋(2026)林证字第0001号", "term_years": 30,
                **CONTACT}  # fmt: skip
# 标的企业基本情况, 股权结构 and the audited figures a company's project must disclose (资产 − 负债 = 权益)
COMPANY = {
    "co_type": "llc", "co_legal_rep": "李国栋", "co_established": "2003-06-18", "registered_capital": "5000",
    "co_employees": 286, "co_scope": "矿山机械的设计、制造、销售及维修。",
    "shareholders": [{"name": "山西晋能资产管理有限公司", "percent": "60"}, {"name": "晋中市国投公司", "percent": "40"}],
    "fin_year": 2025, "fin_auditor": "山西三晋会计师事务所", "fin_total_assets": "68400000.00",
    "fin_total_liabilities": "38200000.00", "fin_equity": "30200000.00", "fin_revenue": "120000000.00",
    "fin_net_profit": "3100000.00",
}  # fmt: skip
VALUATION = {"val_firm": "山西三晋正信资产评估有限公司", "val_book_value": "30200000.00",
             "val_appraised_value": "35700000.00"}  # fmt: skip

ATTRS: dict[str, dict[str, Any]] = {
    "equity": {"company": "晋中示范机械有限公司", "share_percent": "51", "control_change": False, **COMPANY, **VALUATION,
               **CONTACT},
    "capital_increase": {"company": "太原新材料股份有限公司", "amount_min": "3000", "amount_max": "5000",
                         "share_min": "10", "share_max": "20", "investors_min": 1, "investors_max": 3,
                         "control_change": False, **COMPANY, **CONTACT},
    "asset": {"asset_type": "equipment", "quantity": "12", "quantity_unit": "台", "location": "太原市小店区", **CONTACT},
    "real_estate": {"area_m2": "356.8", "use": "commercial", "location": "太原市迎泽区迎泽大街1号", **CONTACT},
    "vehicle": {"brand": "丰田", "model": "凯美瑞 2.5L", "plate": "晋A·12345", "mileage_km": 86000,
                "registration_date": "2019-05-20", **CONTACT},
    "forest": FOREST_ATTRS,
    "rural": {"right_type": "land_management", "area_mu": "300", "term_years": 15, **CONTACT},
    "mining": {"mineral": "煤", "reserves": "120", "reserves_unit": "万吨", "licence_no": "C1400002009",
               "right_type": "mining", **CONTACT},
    "ip": {"ip_type": "patent", "registration_no": "ZL202010000001.X", **CONTACT},
    "debt": {"debtor": "某某商贸有限公司", "principal": "800000", **CONTACT},
}  # fmt: skip


def pdf_upload(name: str = "report.pdf", size: int = 2000) -> SimpleUploadedFile:
    body = b"%PDF-1.4\n" + b"0" * max(0, size - 9)
    return SimpleUploadedFile(name, body, content_type="application/pdf")


def png_upload(name: str = "photo.png") -> SimpleUploadedFile:
    buf = io.BytesIO()
    Image.new("RGB", (64, 40), (120, 160, 120)).save(buf, format="PNG")
    return SimpleUploadedFile(name, buf.getvalue(), content_type="image/png")


def verified_seller(**kwargs: Any) -> User:
    user = UserFactory(role="seller", **kwargs)
    user.real_name = user.name
    user.verified_at = clock.now()
    user.save(update_fields=["real_name", "verified_at"])
    return user


def region() -> Region:
    return Region.objects.get(code="140100")


def project_data(category: str = "forest", **overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "title": "示范林场林地经营权转让",
        "category": category,
        "region_id": region().pk,
        "valuation": Decimal("1000000.00"),
        "floor_price": Decimal("1000000.00"),
        "deposit_amount": Decimal("100000.00"),
        "trading_method": "dynamic",
        "buyer_conditions": "依法设立并有效存续的企业法人或具有完全民事行为能力的自然人。",
        "payment_terms": "一次性付款",
        "attributes": dict(ATTRS[category]),
    }
    if category == "capital_increase":
        data.update(pre_disclosure=True, pre_disclosure_wd=20, disclosure_wd=20)
    data.update(overrides)
    return data


def draft(category: str = "forest", seller: User | None = None, *, report: bool = True, **overrides: Any) -> Project:
    seller = seller or verified_seller()
    project = services.project_create(actor=seller, **project_data(category, **overrides))
    if report:
        services.attachment_add(project_id=project.pk, actor=seller, kind="valuation_report", upload=pdf_upload())
    return project


def submitted(category: str = "forest", **overrides: Any) -> Project:
    project = draft(category, **overrides)
    return services.project_submit(project_id=project.pk, actor=project.seller)


def approved(category: str = "forest", reviewer: User | None = None, manager: User | None = None, **kw: Any) -> Project:
    project = submitted(category, **kw)
    services.project_review(project_id=project.pk, actor=reviewer or UserFactory(role="reviewer"), decision="approve")
    return services.project_review(
        project_id=project.pk, actor=manager or UserFactory(role="manager"), decision="approve"
    )


def at(day: dt.date, hour: int = 10) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour))


def disclosed(category: str = "forest", **kw: Any) -> Project:
    """A project in formal disclosure (the worker ran on its first day)."""
    project = approved(category, **kw)
    with clock.frozen(at(project.disclosure_start)):
        services.listings_tick()
    project.refresh_from_db()
    return project
