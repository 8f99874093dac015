"""Finance (李结算) imports a GBK bank statement, matches an exception by hand, and
approves the refund batch a colleague (the demo's administrator) prepared — four-eyes in the browser."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import call_command

from exchange.accounts.models import User
from exchange.core import clock
from exchange.portal.demo import DEMO_PASSWORD
from exchange.settlement import ledger, services
from exchange.settlement.models import DepositInstruction, PaymentBatch, StatementLine

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

FINANCE = "13800000002"  # 李结算
HEADER = "交易流水号,交易日期,交易时间,贷方金额,借方金额,对方户名,对方账号,对方开户行,收款子账号,摘要"


def _login(page, base: str, phone: str) -> None:  # type: ignore[no-untyped-def]
    page.context.clear_cookies()  # a fresh session: the login page sends logged-in users on
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=username]", phone)
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.get_by_role("button", name="登录", exact=True).click()
    page.wait_for_load_state()


def test_finance_imports_gbk_statement_resolves_exception_and_approves_batch(live_server, page, shot, tmp_path):
    call_command("seed_demo")
    base = live_server.url
    # a buyer qualified for a third project; another buyer's deposit awaits payment
    liu = User.objects.get(phone="13900000012")
    chen = User.objects.get(phone="13900000011")
    wanted = services.deposit_instruction_create(
        project_id=9003,
        project_code="SXCQ-2026-0003",
        project_title="吕梁市林权转让",
        member=liu,
        amount=Decimal("30000.00"),
        qualified_at=clock.now(),
    )
    on_time = DepositInstruction.objects.get(member=chen, project_id=9002)
    day = f"{clock.today():%Y-%m-%d}"
    csv_text = (
        "\r\n".join(
            [
                "中国工商银行 账户明细（演示）",
                HEADER,
                f"ICBC1001,{day},10:05:00,{on_time.amount},,陈明,6222020502001234567,工行太原迎泽支行,{on_time.virtual_account},保证金",
                f"ICBC1002,{day},10:20:00,30000.00,,刘芳,6217000130012345678,建行太原分行,,保证金 SXCQ-2026-0003",
            ]
        )
        + "\r\n"
    )
    statement = Path(tmp_path) / "工行对账单.csv"
    statement.write_bytes(csv_text.encode("gbk"))

    # finance logs in and sees the work of the day
    _login(page, base, FINANCE)
    page.goto(f"{base}/settlement/finance/")
    assert page.get_by_text("来款异常待处理").is_visible()
    shot(page, "settlement-01-finance-home")

    # imports the GBK statement
    page.get_by_role("link", name="导入对账单").click()
    page.select_option("select[name=profile]", label="通用格式（默认）")
    page.set_input_files("input[name=file]", str(statement))
    shot(page, "settlement-02-import-form")
    page.get_by_role("button", name="上传并预览", exact=True).click()
    page.locator("[data-preview-rows]").wait_for()
    page.get_by_role("button", name="确认导入").click()
    page.get_by_text("自动匹配 1 笔，异常 1 笔").wait_for()
    shot(page, "settlement-03-imported")
    on_time.refresh_from_db()
    assert on_time.status == "confirmed"

    # resolves the unknown payment by hand: it is 刘芳's deposit for SXCQ-2026-0003
    page.get_by_role("link", name="来款异常").first.click()
    row = page.locator("tr", has_text="刘芳")
    row.get_by_role("link", name="处理").click()
    page.locator("label.choice-row", has_text="SXCQ-2026-0003").click()
    page.fill("input[name=note]", "电话核实：刘芳未填子账号")
    shot(page, "settlement-04-resolve-exception")
    page.get_by_role("button", name="确认匹配").click()
    page.get_by_text("已匹配，保证金已确认并冻结。").wait_for()
    shot(page, "settlement-05-exceptions-after")
    wanted.refresh_from_db()
    line = StatementLine.objects.get(bank_txn_id="ICBC1002")
    assert wanted.status == "confirmed" and line.status == "resolved" and line.resolved_by.phone == FINANCE

    # approves the refund batch prepared by a colleague
    page.get_by_role("link", name="代发批次").first.click()
    shot(page, "settlement-06-batches")
    batch = PaymentBatch.objects.get(status="draft")
    page.get_by_role("link", name=batch.code).click()
    page.get_by_role("button", name="审批通过").click()
    page.get_by_text("批次已审批。").wait_for()
    shot(page, "settlement-07-batch-approved")
    batch.refresh_from_db()
    assert batch.status == "approved" and batch.approved_by.phone == FINANCE and batch.prepared_by.phone != FINANCE
    assert ledger.ledger_verify().ok

    # the reports finance reads at the end of the day
    for name, url in [
        ("09-deposits-held", "deposits/"),
        ("10-cash-report", "cash/"),
        ("11-trial-balance", "trial-balance/?verify=1"),
    ]:
        page.goto(f"{base}/settlement/finance/{url}")
        shot(page, f"settlement-{name}")
    assert page.get_by_text("账务核对通过").is_visible()
    _login(page, base, "13900000011")  # 陈明 sees only his own money
    page.goto(f"{base}/settlement/me/")
    shot(page, "settlement-12-member-statement")
    assert page.get_by_text("刘芳").count() == 0

    # the refunds page on a phone
    _login(page, base, FINANCE)
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{base}/settlement/finance/refunds/")
    shot(page, "settlement-08-refunds-phone")
