"""What new users stumbled on (issue 15, items 5, 13, 14, 15), in the browser:

- finance downloads a statement template, uploads a statement whose headings are another
  bank's words, reads how each column and the first rows were understood, confirms, and
  opens the import from the history (desktop and phone);
- a seller's scheduled 挂牌公告 is shown with its date, not as a link to a 404;
- a tampered certificate link gets a page that says so and what to do;
- a buyer whose deposit was matched sees the 竞买号 in 我的受让申请.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from openpyxl import load_workbook

from exchange.core import clock
from exchange.listings import services as listings
from exchange.settlement.models import DepositInstruction, StatementImport, StatementLine
from tests.browser.journey_steps_deals import login_as
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 900}


def _statement(path: Path, deposit: DepositInstruction) -> Path:
    """A bank's statement in its own words (民生-style headings, title lines above, GBK)."""
    when = timezone_now_text()
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["山西产权交易中心 账户明细"])
    writer.writerow(
        ["记账日期", "时间", "收入金额（元）", "支出金额（元）", "对方户名", "对方账号", "虚拟子账号", "附言", "流水号"]
    )
    writer.writerow(
        [*when, str(deposit.amount), "", "陈明", "6222020502001234567", deposit.virtual_account, "保证金", "M001"]
    )
    writer.writerow([*when, "3000.00", "", "王建国", "6228480010012345678", "", "货款", "M002"])
    path.write_bytes(out.getvalue().encode("gbk"))
    return path


def timezone_now_text() -> list[str]:
    from django.utils import timezone

    now = timezone.localtime(clock.now() - dt.timedelta(minutes=5))
    return [f"{now:%Y-%m-%d}", f"{now:%H:%M:%S}"]


def test_finance_imports_a_statement_in_two_steps(live_server, page, shot, tmp_path):
    from tests.settlement import factories as sf

    base = live_server.url
    finance = UserFactory(role="finance")
    deposit = sf.instruction(amount=Decimal("50000.00"), qualified_at=clock.now() - dt.timedelta(hours=1))
    login_as(page, base, finance.phone, PASSWORD)

    # the import page names each format's columns and offers templates
    page.set_viewport_size(DESKTOP)
    page.goto(f"{base}/settlement/finance/import/")
    guide = page.locator("details[data-profile=generic]")
    assert guide.get_by_text("收款子账号", exact=True).first.is_visible()
    assert guide.get_by_text("虚拟子账号", exact=False).first.is_visible()  # an accepted synonym
    shot(page, "import-01-page")
    with page.expect_download() as download:
        guide.locator("[data-template=xlsx]").click()
    template = Path(tmp_path) / download.value.suggested_filename
    download.value.save_as(template)
    assert template.name == "statement-template-generic.xlsx"
    header = [c.value for c in load_workbook(template).worksheets[0][1]]
    assert "收款子账号" in header and "交易日期" in header

    # a statement in another bank's words: uploaded, then previewed — nothing imported yet
    page.set_input_files("input[name=file]", str(_statement(Path(tmp_path) / "民生银行.csv", deposit)))
    page.get_by_role("button", name="上传并预览").click()
    layout = page.locator("[data-column-layout]")
    layout.wait_for()
    row = layout.locator("tr", has_text="虚拟子账号")
    assert "收款子账号" in row.inner_text() and "同义列名" in row.inner_text()
    assert "第 2 行被识别为表头" in layout.inner_text()
    rows = page.locator("[data-preview-rows] tbody tr")
    assert rows.count() == 2 and deposit.project_code in rows.first.inner_text()
    assert not StatementImport.objects.exists()
    shot(page, "import-02-preview")
    page.set_viewport_size(PHONE)
    shot(page, "import-02-preview-phone")

    # confirmed: imported once, and the import's page lists its lines
    page.get_by_role("button", name="确认导入").click()
    page.get_by_text("导入完成：新增 2 笔").wait_for()
    statement = StatementImport.objects.get()
    assert statement.matched_count == 1 and statement.exception_count == 1
    deposit.refresh_from_db()
    assert deposit.status == "confirmed"
    lines = page.locator("[data-statement-lines] tbody tr")
    assert lines.count() == 2
    shot(page, "import-03-detail-phone")

    # the history opens the same page, and a line opens its own
    page.set_viewport_size(DESKTOP)
    page.goto(f"{base}/settlement/finance/import/")
    page.locator("[data-import-history]").get_by_role("link", name="民生银行.csv").click()
    page.locator("[data-statement-lines]").wait_for()
    assert page.url.endswith(f"/settlement/finance/imports/{statement.pk}/")
    shot(page, "import-04-detail")
    page.locator("[data-statement-lines] tr", has_text="王建国").get_by_role("link", name="去处理").click()
    assert page.url.endswith(f"/settlement/finance/exceptions/{StatementLine.objects.get(payer_name='王建国').pk}/")

    # a file without the amount column is refused, showing how its header was read
    bad = Path(tmp_path) / "缺列.csv"
    bad.write_bytes("交易日期,对方户名\r\n2026-03-02,张三\r\n".encode())
    page.goto(f"{base}/settlement/finance/import/")
    page.set_input_files("input[name=file]", str(bad))
    page.get_by_role("button", name="上传并预览").click()
    page.get_by_text("文件有误，未导入任何记录。").wait_for()
    assert "缺少（必需）" in page.locator("[data-column-layout]").inner_text()
    shot(page, "import-05-refused")
    page.set_viewport_size(PHONE)
    page.goto(f"{base}/settlement/finance/import/")
    shot(page, "import-01-page-phone")


def test_a_sellers_scheduled_notice_shows_its_date_not_a_dead_link(live_server, page, shot):
    from tests.listings import factories as lf

    base = live_server.url
    project = lf.approved()
    notice = project.notices.get()
    login_as(page, base, project.seller.phone, PASSWORD)
    page.goto(f"{base}/my/projects/{project.pk}/")
    scheduled = page.locator("[data-notice=scheduled]")
    assert scheduled.count() == 1 and "待发布" in scheduled.inner_text()
    assert page.locator(f"a[href='/notices/{notice.number}/']").count() == 0
    shot(page, "seller-notice-scheduled")
    with clock.frozen(lf.at(project.disclosure_start)):
        listings.listings_tick()
    page.reload()
    page.locator("[data-notice=published] a").click()
    assert page.url.endswith(f"/notices/{notice.number}/") and "挂牌公告" in page.content()


def test_a_tampered_certificate_link_says_what_to_do(live_server, page, shot):
    from exchange.deals.models import Certificate
    from tests.deals import factories as df

    base = live_server.url
    cert = Certificate.objects.get(deal=df.certified())
    for size, name in ((DESKTOP, "certificate-invalid"), (PHONE, "certificate-invalid-phone")):
        page.set_viewport_size(size)
        response = page.goto(f"{base}/deals/certificates/{cert.number}/{'0' * len(cert.check_code)}/")
        assert response is not None and response.status == 404
        card = page.locator("[data-certificate-invalid]")
        assert "未找到与该链接相符的有效交易凭证" in card.inner_text()
        assert settings.EXCHANGE_HOTLINE in card.inner_text()
        assert page.get_by_text("您访问的页面不存在").count() == 0
        shot(page, name)
    response = page.goto(f"{base}/deals/certificates/{cert.number}/{cert.check_code}/")
    assert response is not None and response.status == 200 and page.get_by_text("该交易凭证真实有效").is_visible()


def test_the_buyer_sees_the_bidder_number_once_the_deposit_is_matched(live_server, page, shot):
    from tests.settlement import factories as sf
    from tests.trading import factories as tf

    base = live_server.url
    project = tf.project()
    app = tf.qualified(project)
    instruction = DepositInstruction.objects.get(pk=app.deposit_instruction_id)
    sf.import_rows(
        [sf.row(amount=instruction.amount, virtual_account=instruction.virtual_account, when=clock.now())],
        actor=sf.finance(),
    )
    app.refresh_from_db()
    assert app.status == "deposit_confirmed" and len(app.bidder_no) == 4
    login_as(page, base, app.applicant.phone, PASSWORD)
    page.goto(f"{base}/trading/applications/")
    row = page.locator("tr", has_text=project.title)
    assert app.bidder_no in row.inner_text()
    shot(page, "my-applications-bidder-no")
    page.goto(f"{base}/trading/applications/{app.pk}/")
    assert page.locator("[data-bidder-no]").inner_text().strip() == app.bidder_no
