"""The demo data covers every category and every state of the listings app."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.management import call_command

from exchange.listings.categories import Category
from exchange.listings.models import Project, Status
from exchange.listings.services import TRADE_MOVES

pytestmark = pytest.mark.django_db


def test_demo_has_every_category_and_state_and_is_idempotent():
    call_command("seed_demo", verbosity=0)
    assert set(Project.objects.values_list("category", flat=True)) == set(Category.values)
    # the trading outcomes (竞价中, 已成交, 流拍, 交易完成) are seeded by the trading apps' demo
    assert set(Project.objects.values_list("status", flat=True)) >= set(Status.values) - TRADE_MOVES
    _disclosed_with_real_files()
    count = Project.objects.count()
    call_command("seed_demo", verbosity=0)
    assert Project.objects.count() == count


def _disclosed_with_real_files() -> None:
    """Every public demo project has its category's disclosure, a valuation report summary PDF
    with its figures and pictures drawn for it (not blank pages, not one placeholder)."""
    import io
    import shutil
    import subprocess

    from PIL import Image

    from exchange.listings import categories
    from exchange.listings.models import Attachment

    public = Project.objects.filter(is_public=True)
    assert public.count() >= 15
    pictures: set[bytes] = set()
    for project in public:
        # submitted projects passed the complete check; the disclosure is still complete
        attributes = categories.clean_attributes(project.category, project.attributes, complete=True)
        assert attributes["contact_phone"] and attributes["val_firm"], project.title
        if project.category in categories.COMPANY_CATEGORIES:
            assert sum(Decimal(r["percent"]) for r in attributes["shareholders"]) == 100
        report = project.attachments.get(kind=Attachment.Kind.VALUATION_REPORT)
        data = report.file.read()
        assert data.startswith(b"%PDF") and len(data) > 20_000, project.title  # an embedded CJK font: real text
        if shutil.which("pdftotext"):
            text = subprocess.run(["pdftotext", "-", "-"], input=data, capture_output=True, check=True).stdout.decode()
            assert "资产评估报告（摘要）" in text and f"{project.valuation:,.2f}" in text
        photos = list(project.attachments.filter(kind=Attachment.Kind.PHOTO))
        assert len(photos) >= 1 and all(p.caption for p in photos)
        for photo in photos:
            content = photo.file.read()
            image = Image.open(io.BytesIO(content))
            assert image.size == (960, 640) and len(image.convert("RGB").getcolors(1 << 20) or []) > 50
            pictures.add(content)
    assert len(pictures) > 2 * public.count() * 0.8  # drawn per project, not one placeholder
