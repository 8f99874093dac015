"""Import of the old website's projects (admin, dry run with per-row errors) and the API."""

from __future__ import annotations

import pytest
import tablib
from django.core.files.uploadedfile import SimpleUploadedFile

from exchange.listings.admin import ProjectImportResource
from exchange.listings.models import Project, Status
from tests.factories import UserFactory
from tests.listings import factories as f

pytestmark = pytest.mark.django_db

HEADERS = ["code", "title", "category", "status", "seller_phone", "region_code", "valuation", "floor_price",
           "deposit_amount", "trading_method", "buyer_conditions", "payment_terms", "description", "disclosure_wd",
           "disclosure_start", "disclosure_end", "attributes"]  # fmt: skip


def _row(seller_phone: str, **kw: str) -> list[str]:
    row = {
        "code": "LQ2025-0099", "title": "历史林权项目", "category": "林权", "status": "披露期满",
        "seller_phone": seller_phone, "region_code": "141100", "valuation": "500000", "floor_price": "500000",
        "deposit_amount": "50000", "trading_method": "网络动态报价", "buyer_conditions": "无", "payment_terms": "",
        "description": "", "disclosure_wd": "10", "disclosure_start": "2025-03-03", "disclosure_end": "2025-03-14",
        "attributes": "area_mu=800; species=油松; certificate_no=晋林证0009; term_years=20",
    }  # fmt: skip
    row.update(kw)
    return [row[h] for h in HEADERS]


def test_import_dry_run_reports_each_bad_row_and_saves_nothing():
    seller = f.verified_seller()
    data = tablib.Dataset(headers=HEADERS)
    data.append(_row(seller.phone))
    data.append(_row("13000000000", code="LQ2025-0100"))  # unknown seller
    data.append(_row(seller.phone, code="LQ2025-0101", attributes="area_mu=很多"))
    data.append(_row(seller.phone, code="LQ2025-0102", status="审核中"))
    result = ProjectImportResource().import_data(data, dry_run=True)
    assert result.has_validation_errors()
    bad = {row.number for row in result.invalid_rows}
    assert bad == {2, 3, 4}
    assert not Project.objects.exists()


def test_import_valid_rows_creates_public_projects():
    seller = f.verified_seller()
    data = tablib.Dataset(headers=HEADERS)
    data.append(_row(seller.phone))
    result = ProjectImportResource().import_data(data, dry_run=False)
    assert not result.has_errors() and not result.has_validation_errors()
    project = Project.objects.get(code="LQ2025-0099")
    assert project.status == Status.DISCLOSURE_ENDED and project.is_public and not project.is_open
    assert project.unit_price is not None and project.city_code == "141100"


def test_admin_import_page_needs_the_import_permission(client):
    client.force_login(UserFactory(role="reviewer"))
    assert client.get("/admin/listings/project/import/").status_code == 403
    client.force_login(UserFactory(role="operations"))
    assert client.get("/admin/listings/project/import/").status_code == 200
    seller = f.verified_seller()
    data = tablib.Dataset(headers=HEADERS)
    data.append(_row(seller.phone))
    upload = SimpleUploadedFile("old.csv", data.export("csv").encode(), content_type="text/csv")
    response = client.post(
        "/admin/listings/project/import/",
        {"import_file": upload, "format": "1", "resource": "0"},
    )
    assert response.status_code == 200
    assert "LQ2025-0099" in response.content.decode()  # the preview
    assert not Project.objects.exists()  # a dry run until confirmed


def test_api_lists_and_shows_public_projects(client):
    project = f.disclosed()
    f.submitted("vehicle")
    data = client.get("/api/v1/projects?category=forest").json()
    assert data["count"] == 1 and data["results"][0]["code"] == project.code
    detail = client.get(f"/api/v1/projects/{project.pk}").json()
    assert {"label": "林权证号", "value": f.FOREST_ATTRS["certificate_no"]} in detail["attribute_list"]
    assert detail["notices"][0]["kind"] == "listing"
    number = detail["notices"][0]["number"]
    assert client.get(f"/api/v1/projects/notices/{number}").json()["body"].startswith("项目编号")
    hidden = Project.objects.exclude(pk=project.pk).get()
    assert client.get(f"/api/v1/projects/{hidden.pk}").status_code == 404
    assert client.get("/api/v1/projects?page_size=1000").status_code == 422
