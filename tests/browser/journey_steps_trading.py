"""Reusable browser steps of the buyer side (trading), chained by the whole-journey test.

Each step drives real pages (Playwright, sync API) against a running server `base` URL and
returns ids for the next step. Steps that stand for work outside the browser (the bank's
statement arriving, the clock's outcome job) call the same services the worker calls.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.test import Client

from exchange.accounts.models import User
from exchange.core import clock
from exchange.listings import services as listings
from exchange.listings.models import Project
from exchange.trading import services as trading
from exchange.trading.models import Application

PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
STATEMENT_HEADER = "交易流水号,交易日期,交易时间,贷方金额,借方金额,对方户名,对方账号,对方开户行,收款子账号,摘要"


def demo_accounts() -> None:
    """The demo accounts (staff 13800000001 王审核…, buyers 13900000011 陈明…) without the rest of the demo."""
    from django.contrib.auth.models import Group

    from exchange.accounts import roles
    from exchange.portal import demo

    roles.ensure_roles()
    groups = {g.name: g for g in Group.objects.all()}
    for account in demo.STAFF + demo.MEMBERS:
        demo._ensure_account(account, groups)


def logged_in_page(browser: Any, base: str, user: User, **options: Any) -> tuple[Any, Any]:
    """A new browser context logged in as `user` (session cookie from the test client)."""
    client = Client()
    client.force_login(user)
    options.setdefault("viewport", {"width": 1280, "height": 900})
    context = browser.new_context(locale="zh-CN", **options)
    context.add_cookies([{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": base}])
    page = context.new_page()
    page.set_default_timeout(15000)
    return context, page


def material_files(folder: Path) -> dict[str, Path]:
    """One small valid PDF per material kind, written under `folder`."""
    from exchange.trading.conf import MATERIAL_LABELS

    folder.mkdir(parents=True, exist_ok=True)
    files = {}
    for kind, label in MATERIAL_LABELS.items():
        path = folder / f"{label}.pdf"
        path.write_bytes(PDF)
        files[kind] = path
    return files


def buyer_applies(page: Any, base: str, project_id: int, *, bid_floor: str, files: dict[str, Path],
                  shot: Any = None, name: str = "") -> int:  # fmt: skip
    """From the project page: 我要受让/报名 → choose the asked materials (each uploaded as it is
    chosen), 意向报价, accept the commitment letter online → submit. Returns the application
    id (from the page it lands on)."""
    page.goto(f"{base}/projects/{project_id}/")
    if shot and name:
        shot(page, f"{name}-project")
    page.get_by_role("link", name="我要受让/报名").click()
    page.wait_for_selector("[data-materials-form] input[type=file]")
    for box in page.query_selector_all("[data-materials-form] [data-draft-kind]"):
        kind = box.get_attribute("data-draft-kind") or ""
        box.query_selector("input[type=file]").set_input_files(str(files[kind]))  # type: ignore[union-attr]
        page.locator(f"[data-draft-kind={kind}] [data-draft-row]").wait_for()  # uploaded
    page.fill("input[name=bid_floor]", bid_floor)
    page.check("input[name=accept_commitment]")
    if shot and name:
        shot(page, f"{name}-form")
    page.get_by_role("button", name="提交受让申请").click()
    page.wait_for_selector("[data-timeline]")
    if shot and name:
        shot(page, f"{name}-submitted")
    return int(page.url.rstrip("/").split("/")[-1])


def staff_reviews(page: Any, base: str, application_id: int, *, qualify: bool, reasons: tuple[str, ...] = (),
                  note: str = "", shot: Any = None, name: str = "") -> str:  # fmt: skip
    """The reviewer opens the queue, then the application, and qualifies it or rejects it
    with reasons ticked from the published conditions. Returns the new status label."""
    page.goto(f"{base}/trading/staff/")
    page.click(f"a[href='/trading/staff/applications/{application_id}/']")
    page.wait_for_selector("[data-materials]")
    for reason in reasons:
        page.check(f"input[name=reasons][value='{reason}']")
    if note:
        page.fill("textarea[name=note]", note)
    if shot and name:
        shot(page, f"{name}-review")
    page.get_by_role("button", name="资格确认" if qualify else "不予确认").click()
    page.wait_for_selector("[data-status]")
    if shot and name:
        shot(page, f"{name}-decided")
    return page.text_content("[data-status]") or ""


def deposit_statement(application_ids: list[int]) -> bytes:
    """The bank's statement (generic format, GBK) with one credit per qualified application:
    its deposit amount paid into its virtual sub-account today."""
    from exchange.settlement.models import DepositInstruction

    now = clock.now().astimezone(dt.timezone(dt.timedelta(hours=8)))
    rows = [STATEMENT_HEADER]
    for i, app in enumerate(Application.objects.filter(pk__in=application_ids).select_related("applicant")):
        assert app.deposit_instruction_id is not None, "not qualified"
        d = DepositInstruction.objects.get(pk=app.deposit_instruction_id)
        rows.append(
            f"JRN{app.pk:06d}{i},{now:%Y-%m-%d},{now:%H:%M:%S},{d.amount},,{app.applicant.name},"
            f"62220205020{app.pk:08d},中国工商银行太原分行,{d.virtual_account},保证金"
        )
    return ("\r\n".join(rows) + "\r\n").encode("gbk")


def price_statement(virtual_account: str, amount: Decimal, *, payer: str, reference: str, memo: str = "价款") -> bytes:
    """The bank's statement (generic format, GBK) with the buyer's price payment: one credit of
    `amount` into their virtual sub-account (the one of their deposit) today. Settlement
    matches it to the buyer's open price plan."""
    now = clock.now().astimezone(dt.timezone(dt.timedelta(hours=8)))
    rows = [
        STATEMENT_HEADER,
        f"{reference},{now:%Y-%m-%d},{now:%H:%M:%S},{amount:.2f},,{payer},6222020502099887766,"
        f"中国工商银行太原分行,{virtual_account},{memo}",
    ]
    return ("\r\n".join(rows) + "\r\n").encode("gbk")


def deposits_arrive(application_ids: list[int], *, finance: User) -> int:
    """The bank statement with the qualified buyers' deposits is imported (as finance does on
    the finance page); settlement confirms them and trading makes them 竞买人. Returns the
    number of deposits matched."""
    from exchange.settlement import services as settlement
    from exchange.settlement.models import BankProfile

    now = clock.now().astimezone(dt.timezone(dt.timedelta(hours=8)))
    statement = settlement.statement_import(
        profile_id=BankProfile.objects.get(code="generic").pk, file_name=f"statement-{now:%H%M%S}.csv",
        data=deposit_statement(application_ids), actor=finance,
    )  # fmt: skip
    return statement.matched_count


def finance_imports_statement(page: Any, base: str, application_ids: list[int], folder: Path, *, shot: Any = None,
                              name: str = "", data: bytes | None = None,
                              file_name: str = "工行对账单.csv") -> str:  # fmt: skip
    """Finance (logged in on `page`) imports the bank statement with these deposits (or the
    statement `data`, e.g. from `price_statement`) on the settlement page 导入对账单 (generic
    format); returns the page's result message."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / file_name
    path.write_bytes(deposit_statement(application_ids) if data is None else data)
    page.goto(f"{base}/settlement/finance/")
    page.get_by_role("link", name="导入对账单").first.click()
    page.select_option("select[name=profile]", label="通用格式（默认）")
    page.set_input_files("input[name=file]", str(path))
    if shot and name:
        shot(page, f"{name}-form")
    page.get_by_role("button", name="上传并预览", exact=True).click()
    page.locator("[data-column-layout]").wait_for()  # step 2: how the file was read, then confirm
    page.get_by_role("button", name="确认导入").click()
    message = page.get_by_text("导入完成").first
    message.wait_for()
    if shot and name:
        shot(page, name)
    return message.inner_text()


def disclosure_ends(project_id: int) -> Project:
    """The listings worker moves the project past the end of its disclosure."""
    project = Project.objects.get(pk=project_id)
    assert project.ends_at is not None
    with clock.frozen(project.ends_at + dt.timedelta(minutes=1)):
        listings.project_advance(project_id=project_id)
    project.refresh_from_db()
    return project


def outcome_job(project_id: int) -> int:
    """The clock's trading job decides the round; returns the auction id it organised."""
    trading.outcomes_run()
    outcome = trading.Outcome.objects.get(project_id=project_id, auction_id__isnull=False)
    assert outcome.auction_id is not None
    return outcome.auction_id


def open_auction_from_application(page: Any, base: str, application_id: int) -> str:
    """The bidder opens 我的受让申请 → 进入竞价室; returns the bidder number shown there."""
    page.goto(f"{base}/trading/applications/{application_id}/")
    number = page.text_content("[data-bidder-no]") or ""
    page.click("[data-auction-link]")
    page.wait_for_selector(".conn-ok")
    return number.strip()


def bid(page: Any, n: int = 1) -> None:
    """One quick bid of n increments (confirmed in the dialog)."""
    page.click(f"[data-quick='{n}']")
    page.wait_for_selector("dialog[open]")
    page.click("[data-confirm-ok]")


def winner_sees_result(page: Any, base: str, application_id: int) -> str:
    """The winner's application page after the close; returns its status label."""
    page.goto(f"{base}/trading/applications/{application_id}/")
    return (page.text_content("[data-status]") or "").strip()


def equity_project(*, seller_phone: str = "13900000001", floor: Decimal = Decimal("1000000.00")) -> Project:
    """A 股权 project in formal disclosure, filed and approved through the listings services."""
    from tests.listings import factories as lf

    seller = User.objects.get(phone=seller_phone)
    return lf.disclosed(
        "equity",
        seller=seller,
        reviewer=User.objects.get(phone="13800000001"),
        manager=User.objects.get(phone="13800000003"),
        title="晋中市示范机械有限公司51%股权转让（受让演示）",
        floor_price=floor,
        valuation=floor,
        deposit_amount=Decimal("100000.00"),
        buyer_conditions="1. 依法设立并有效存续的企业法人或具有完全民事行为能力的自然人；\n2. 具有良好的财务状况和支付能力；\n3. 具有良好商业信用。",
    )
