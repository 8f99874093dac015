"""The whole journeys of issue 6, chained from the listings, trading and deals browser steps.

1. A 股权 project with three buyers: the seller submits it in the browser, two staff approve,
   the worker publishes it; three buyers apply, two are qualified and one rejected with a
   published condition; finance imports the bank statement with the deposits; the outcome
   job organises a 动态报价 auction that the two bidders fight out in their own browsers; the
   winner and the seller sign, staff approve; the winner's deal page shows what is still owed
   and their virtual sub-account, 李结算 imports the bank statement with that payment and it
   is matched to the price plan (价款已结清); the 交易凭证 PDF
   downloads and its QR's URL verifies; the loser's deposit is refunded through the refund
   job and the payment batch; the ledger verifier passes.
2. An agreement project with a single qualified buyer: 协议成交 → contract → paid (finance
   records the price on the staff deal page, the exception path) → certificate.
3. The winner does not sign in time: the job records the default, the deposit is forfeited
   (a credit event), the manager relists, and the defaulter's new application is refused.

Served by the production ASGI app (uvicorn in a thread, as test_trading_buyers.py) so that the
auction page gets its live stream; a thread stands in for the clock process (auction close).
Screenshots: test-artifacts/screenshots/journey{1,2,3}-NN-*.png.
"""

from __future__ import annotations

import datetime as dt
import importlib
import io
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command

from exchange.accounts.models import User
from exchange.bidding import engine
from exchange.bidding.models import Auction
from exchange.core import clock
from exchange.deals import services as deals
from exchange.deals.models import Certificate, Deal
from exchange.listings import services as listings
from exchange.listings.models import Notice, Project
from exchange.listings.models import Status as P
from exchange.settlement import ledger
from exchange.settlement import services as settlement
from exchange.settlement.models import CreditEvent, DepositInstruction, PaymentItem, PricePlan, StatementLine
from exchange.trading import services as trading
from exchange.trading.models import Application, Outcome, Status
from tests.bidding.test_sse_support import ThreadServer, clock_thread
from tests.browser import journey_steps_deals as deal_steps
from tests.browser import journey_steps_trading as steps
from tests.browser.listing_form import fill_company, fill_contact
from tests.listings import factories as lf
from tests.trading import factories as tf

pytestmark = pytest.mark.xdist_group("bidding-browser")

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
REVIEWER, FINANCE, MANAGER, CASHIER = "13800000001", "13800000002", "13800000003", "13800000010"
SELLER, SELLER2, SELLER3 = "13900000001", "13900000002", "13900000003"
CHEN, LIU, ENTITY = "13900000011", "13900000012", "13900000013"
CONDITIONS = (
    "1. 依法设立并有效存续的企业法人或具有完全民事行为能力的自然人；\n"
    "2. 具有良好的财务状况和支付能力；\n"
    "3. 具有良好商业信用。"
)
REJECT_REASON = "具有良好的财务状况和支付能力"
TITLE = "晋中市示范机械有限公司51%股权转让"


@pytest.fixture
def server(django_db_serialized_rollback, transactional_db, settings, tmp_path) -> Iterator[ThreadServer]:
    settings.REDIS_URL = ""
    settings.BIDDING_EVENTS_DIR = str(tmp_path / "ev")
    settings.TRADING_AUCTION_DELAY_MINUTES = 0  # the auction starts as soon as it is organised
    from django.apps import apps

    importlib.import_module("exchange.settlement.migrations.0002_ledger_guards_and_reference_data").seed(apps, None)
    steps.demo_accounts()
    with ThreadServer(static=True) as s:
        yield s
    from exchange.bidding import sse

    sse.hub.stop()


def user(phone: str) -> User:
    return User.objects.get(phone=phone)


@contextmanager
def as_user(browser: Any, base: str, phone: str, **options: Any) -> Iterator[Any]:
    """A page in a new browser context logged in as `phone` (closed afterwards)."""
    ctx, page = steps.logged_in_page(browser, base, user(phone), **options)
    try:
        yield page
    finally:
        ctx.close()


def _seller_submits_equity(page: Any, base: str, report: Path, shot: Any) -> Project:
    """我要挂牌 → 股权: the application form with the 股权 attributes, a valuation report, 提交审核."""
    page.goto(f"{base}/accounts/center/")
    page.get_by_role("link", name="我要挂牌").first.click()
    page.get_by_role("link", name="股权", exact=True).click()
    page.fill("input[name=title]", TITLE)
    page.select_option("select[name=region]", label="山西省晋中市")
    page.fill("textarea[name=description]", "标的企业主营矿山机械制造，2025年营业收入1.2亿元。")
    page.fill("input[name=attr_company]", "晋中市示范机械有限公司")
    page.fill("input[name=attr_share_percent]", "51")
    page.fill("input[name=attr_registered_capital]", "5000")
    page.select_option("select[name=attr_control_change]", "false")
    page.fill("input[name=attr_industry]", "专用设备制造业")
    fill_company(page)
    fill_contact(page)
    page.fill("input[name=valuation]", "1000000")
    page.fill("input[name=floor_price]", "1000000")
    page.fill("input[name=deposit_amount]", "100000")
    page.select_option("select[name=trading_method]", "dynamic")
    page.fill("input[name=disclosure_wd]", "20")
    page.fill("textarea[name=buyer_conditions]", CONDITIONS)
    shot(page, "journey1-01-seller-form")
    page.get_by_role("button", name="保存草稿").click()
    page.wait_for_url(f"{base}/my/projects/*/")
    project = Project.objects.get(title=TITLE)
    page.select_option("select[name=kind]", "valuation_report")
    page.set_input_files("input[name=file]", str(report))
    page.get_by_role("button", name="上传附件").click()
    page.wait_for_url(f"{base}/my/projects/{project.pk}/")
    page.get_by_role("button", name="提交审核").click()
    page.wait_for_url(f"{base}/my/projects/{project.pk}/")
    shot(page, "journey1-02-seller-submitted")
    project.refresh_from_db()
    return project


def _staff_approves(page: Any, base: str, project: Project, shot: Any, name: str) -> None:
    page.goto(f"{base}/staff/listings/reviews/")
    page.get_by_role("link", name=project.title).click()
    page.wait_for_url(f"{base}/staff/listings/{project.pk}/")
    page.check("input[name=decision][value=approve]")
    page.fill("textarea[name=comment]", "材料齐全，同意。")
    shot(page, name)
    page.get_by_role("button", name="提交审核意见").click()
    page.wait_for_url(f"{base}/staff/listings/{project.pk}/")
    assert page.get_by_text("操作成功").first.is_visible()


def _publish(project: Project) -> Project:
    """The listings worker on the first day of disclosure publishes the 挂牌公告."""
    project.refresh_from_db()
    assert project.disclosure_start is not None
    with clock.frozen(dt.datetime.combine(project.disclosure_start, dt.time(9, 5))):
        listings.listings_tick()
    project.refresh_from_db()
    return project


def _certificate_png(pdf: Path, name: str) -> None:
    """A PNG of the certificate PDF to look at (Chinese and the QR code must render)."""
    if shutil.which("pdftoppm"):
        from tests.browser.conftest import SHOTS

        subprocess.run(["pdftoppm", "-png", "-r", "80", "-singlefile", str(pdf), str(SHOTS / name)], check=True)


def _buyer_pays_by_statement(browser: Any, base: str, page: Any, deal: Deal, shot: Any, tmp_path: Path,
                             prefix: str) -> None:  # fmt: skip
    """The winner pays like a real buyer: the deal page shows what is still owed and their
    virtual sub-account (also on a phone); the bank's statement with exactly that amount into
    that account is imported by 李结算 on the settlement page and matched to the price plan."""
    buyer = deal.buyer.phone
    owed, account = deal_steps.buyer_sees_payment_instructions(page, base, deal.pk, buyer, shot=shot,
                                                               name=f"{prefix}a-buyer-payment-due")  # fmt: skip
    deposit = DepositInstruction.objects.get(project_id=deal.project_id, member=deal.buyer)
    assert account == deposit.virtual_account and deposit.status == "converted"
    plan = PricePlan.objects.get(project_id=deal.project_id)
    assert owed == plan.amount_due - deposit.amount  # price + buyer fee − the converted deposit
    phone_ctx = browser.new_context(locale="zh-CN", **PHONE)
    try:
        phone_page = phone_ctx.new_page()
        phone_page.set_default_timeout(15000)
        shown = deal_steps.buyer_sees_payment_instructions(phone_page, base, deal.pk, buyer, shot=shot,
                                                           name=f"{prefix}a-buyer-payment-due-phone")  # fmt: skip
        assert shown == (owed, account)
    finally:
        phone_ctx.close()
    reference = f"ICBC-PRICE-{deal.pk:06d}"
    data = steps.price_statement(account, owed, payer=deal.buyer.name or "", reference=reference,
                                 memo=f"{deal.project_code} 价款")  # fmt: skip
    deal_steps.login_as(page, base, FINANCE)
    message = steps.finance_imports_statement(page, base, [], tmp_path / "bank", data=data, shot=shot,
                                              name=f"{prefix}b-price-statement-imported",
                                              file_name="工行对账单-价款.csv")  # fmt: skip
    assert "新增 1 笔" in message and "自动匹配 1 笔" in message and "异常 0 笔" in message, message
    line = StatementLine.objects.get(bank_txn_id=reference)
    assert (line.status, line.plan_id, line.amount) == ("matched", plan.pk, owed)


def _after_deal(browser: Any, base: str, deal: Deal, seller: str, shot: Any, tmp_path: Path, n: int, j: str, *,
                pay_by_statement: bool = False) -> Path:  # fmt: skip
    """Both sign, the reviewer approves, the price is paid — by bank statement to the buyer's
    virtual sub-account (`pay_by_statement`) or recorded by finance on the staff deal page —,
    the buyer downloads the certificate and anyone verifies it through the URL under its QR
    code. Returns the PDF."""
    buyer = deal.buyer.phone
    ctx = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    page = ctx.new_page()
    page.set_default_timeout(15000)
    try:
        deal_steps.buyer_signs(page, base, deal.pk, buyer, shot=shot, name=f"{j}-{n:02d}-buyer-signed")
        deal_steps.seller_signs(page, base, deal.pk, seller, shot=shot, name=f"{j}-{n + 1:02d}-seller-signed")
        deal.refresh_from_db()
        assert deal.status == Deal.Status.CONTRACT_SIGNED
        deal_steps.staff_approves_contract(page, base, deal.pk, REVIEWER, shot=shot, name=f"{j}-{n + 2:02d}-review")
        shot(page, f"{j}-{n + 2:02d}-review-approved")
        deal.refresh_from_db()
        assert deal.status == Deal.Status.EFFECTIVE
        if pay_by_statement:
            _buyer_pays_by_statement(browser, base, page, deal, shot, tmp_path, f"{j}-{n + 3:02d}")
        else:
            deal_steps.finance_records_payment(page, base, deal.pk, f"BANK-{deal.pk:06d}", FINANCE, shot=shot,
                                               name=f"{j}-{n + 3:02d}-payment-recorded")  # fmt: skip
        deal.refresh_from_db()
        assert deal.status == Deal.Status.CERTIFICATE_ISSUED, deal.status
        assert deal.result_notice is not None and deal.result_notice.published_at is not None
        if pay_by_statement:
            text = deal_steps.buyer_sees_price_settled(page, base, deal.pk, buyer, shot=shot,
                                                       name=f"{j}-{n + 3:02d}c-buyer-price-settled")  # fmt: skip
            assert f"（{deal.paid_at.astimezone():%Y-%m-%d}）" in text and "已结清，待向转让方划转" in text
        pdf, text = deal_steps.buyer_downloads_certificate(page, base, deal.pk, buyer, tmp_path, shot=shot,
                                                           name=f"{j}-{n + 4:02d}-buyer-certificate")  # fmt: skip
        cert = Certificate.objects.get(deal=deal)
        _certificate_png(pdf, f"{j}-{n + 5:02d}-certificate-pdf")
        url = deal_steps.verify_url_from_certificate_text(text) if text else (
            f"{base}/deals/certificates/{cert.number}/{cert.check_code}/"
        )  # fmt: skip
        assert url == f"{base}/deals/certificates/{cert.number}/{cert.check_code}/"
        if shutil.which("pdfimages"):  # the QR code itself encodes that URL (and nothing else)
            assert deal_steps.certificate_qr_encodes(pdf, url)
            assert not deal_steps.certificate_qr_encodes(pdf, url.replace(cert.check_code, "0" * 16))
        deal_steps.verification_page_shows(page, url, cert.number or "", deal.project_title, deal.buyer.name or "",
                                           f"¥{deal.price:,.2f}", shot=shot, name=f"{j}-{n + 6:02d}-verify")  # fmt: skip
    finally:
        ctx.close()
    return pdf


# ------------------------------------------------------------------------------------ journey 1


def test_journey1_equity_three_buyers_auction_contract_certificate_refund(browser, server, shot, tmp_path):
    base = server.url
    report = tmp_path / "股权价值评估报告.pdf"
    report.write_bytes(steps.PDF)

    # the seller (a verified entity) drafts and submits the 股权 application in the browser
    with as_user(browser, base, SELLER) as page:
        project = _seller_submits_equity(page, base, report, shot)
    assert project.status == P.SUBMITTED and (project.code or "").startswith("GQ")
    assert project.attributes["control_change"] is False and project.attributes["share_percent"] == "51"

    # 项目经理初审, then 部门经理复核, in the browser; the worker publishes on the first day
    with as_user(browser, base, REVIEWER) as page:
        _staff_approves(page, base, project, shot, "journey1-03-initial-review")
    with as_user(browser, base, MANAGER) as page:
        _staff_approves(page, base, project, shot, "journey1-04-final-review")
    project.refresh_from_db()
    assert project.status == P.SCHEDULED
    project = _publish(project)
    assert project.status == P.DISCLOSURE
    assert Notice.objects.get(project=project, kind="listing").published_at is not None

    # short auction timings for the test (staff set them on the terms page)
    trading.terms_ensure(project_id=project.pk)
    trading.terms_update(project_id=project.pk, actor=user(REVIEWER), free_period_seconds=2, countdown_seconds=5,
                         increment="10000")  # fmt: skip
    files = steps.material_files(tmp_path / "materials")

    # three verified buyers apply in the browser: materials, 意向报价, commitment
    ids = {}
    for phone, floor, name, options in (
        (CHEN, "1,010,000.00", "journey1-05-chen-apply", {}),
        (LIU, "1000000", "journey1-06-liu-apply-phone", PHONE),
        (ENTITY, "1020000", "journey1-07-entity-apply", {}),
    ):
        with as_user(browser, base, phone, **options) as page:
            ids[phone] = steps.buyer_applies(page, base, project.pk, bid_floor=floor, files=files, shot=shot,
                                             name=name)  # fmt: skip
    assert Application.objects.filter(project=project, status=Status.SUBMITTED).count() == 3

    # 王审核 qualifies two and rejects the entity with a published condition
    with as_user(browser, base, REVIEWER) as page:
        page.goto(f"{base}/trading/staff/")
        assert page.get_by_text("待审核 3 件").is_visible()
        shot(page, "journey1-08-review-queue")
        assert steps.staff_reviews(page, base, ids[CHEN], qualify=True, shot=shot, name="journey1-09-chen") == (
            "资格已确认，待交保证金"
        )
        steps.staff_reviews(page, base, ids[LIU], qualify=True)
        label = steps.staff_reviews(
            page, base, ids[ENTITY], qualify=False, reasons=(REJECT_REASON,),
            note="资信证明显示净资产不足以支付交易价款。", shot=shot, name="journey1-10-entity",
        )  # fmt: skip
        assert label == "资格未通过"

    # the rejected buyer sees the reason on their application
    with as_user(browser, base, ENTITY) as page:
        page.goto(f"{base}/trading/applications/{ids[ENTITY]}/")
        body = page.locator("main").inner_text()
        assert "资格未通过" in body and REJECT_REASON in body
        shot(page, "journey1-11-entity-sees-reason")

    # finance imports the bank statement on the settlement page: both deposits matched
    with as_user(browser, base, FINANCE) as page:
        message = steps.finance_imports_statement(page, base, [ids[CHEN], ids[LIU]], tmp_path / "bank", shot=shot,
                                                  name="journey1-12-statement-imported")  # fmt: skip
    assert "自动匹配 2 笔" in message and "异常 0 笔" in message, message
    assert set(Application.objects.filter(pk__in=[ids[CHEN], ids[LIU]]).values_list("status", flat=True)) == {
        Status.DEPOSIT_CONFIRMED
    }

    # disclosure ends; the outcome job organises a 动态报价 auction with both bidders
    steps.disclosure_ends(project.pk)
    auction_id = steps.outcome_job(project.pk)
    auction = Auction.objects.get(pk=auction_id)
    assert auction.mode == "dynamic" and auction.start_price == project.floor_price
    assert Notice.objects.filter(project=project, kind="auction").exists()
    assert Application.objects.get(pk=ids[ENTITY]).status == Status.REJECTED
    engine.auction_open(auction_id=auction_id)

    # the two bidders bid in separate browser contexts until the countdown ends
    ctx_a, page_a = steps.logged_in_page(browser, base, user(CHEN))
    ctx_b, page_b = steps.logged_in_page(browser, base, user(LIU), **PHONE)
    with clock_thread():
        try:
            no_a = steps.open_auction_from_application(page_a, base, ids[CHEN])
            no_b = steps.open_auction_from_application(page_b, base, ids[LIU])
            assert no_a and no_b and no_a != no_b
            shot(page_a, "journey1-13-auction-chen")
            steps.bid(page_a)
            page_b.wait_for_function(f"() => document.querySelector('[data-leader]').textContent === '{no_a}'")
            steps.bid(page_b, 2)
            page_a.wait_for_function("() => document.querySelector('[data-my-status]').textContent === '被超越'")
            shot(page_b, "journey1-14-auction-liu-leading-phone")
            for page in (page_a, page_b):
                page.wait_for_selector("[data-result]:not([hidden])", timeout=30000)
            assert "恭喜" in (page_b.text_content("[data-result]") or "")
            shot(page_a, "journey1-15-auction-result-chen")
            shot(page_b, "journey1-15-auction-result-liu-phone")
        finally:
            ctx_a.close()
            ctx_b.close()

    trading.outcomes_run()  # the periodic job catches up if the close's handler was delayed
    winner, loser = Application.objects.get(pk=ids[LIU]), Application.objects.get(pk=ids[CHEN])
    assert (winner.status, loser.status) == (Status.WINNER, Status.LOSER)
    deal = Deal.objects.get(project=project)
    auction.refresh_from_db()
    # 陈明 took the start price, 刘芳 two increments above it
    assert auction.final_price == deal.price == Decimal("1020000.00")
    assert deal.buyer.phone == LIU and deal.kind == "auction" and deal.bidder_no == no_b
    loser_deposit = DepositInstruction.objects.get(project_id=project.pk, member__phone=CHEN)
    assert loser_deposit.status == "confirmed" and loser_deposit.refund_due_on is not None

    # contract, approval, payment, certificate, verification
    _after_deal(browser, base, deal, SELLER, shot, tmp_path, 16, "journey1", pay_by_statement=True)
    assert DepositInstruction.objects.get(project_id=project.pk, member__phone=LIU).status == "converted"

    # the refund job on the due day releases the loser's deposit; the batch pays it back
    with clock.frozen(dt.datetime.combine(loser_deposit.refund_due_on, dt.time(8, 30))):
        assert settlement.refunds_due_run() == 1
    loser_deposit.refresh_from_db()
    assert loser_deposit.status == "refunding"
    item = PaymentItem.objects.get(instruction=loser_deposit, kind="refund")
    assert item.amount == Decimal("100000.00")
    batch = settlement.payment_batch_prepare(actor=user(CASHIER), item_ids=[item.pk])
    settlement.payment_batch_approve(batch_id=batch.pk, actor=user(FINANCE))
    settlement.payment_batch_export(batch_id=batch.pk, actor=user(CASHIER))
    result = f"业务参考号,处理结果,银行流水号,失败原因\r\n{item.reference},成功,ICBC-RF-0001,\r\n".encode("gbk")
    settlement.payment_batch_confirm(batch_id=batch.pk, data=result, actor=user(CASHIER))
    loser_deposit.refresh_from_db()
    assert loser_deposit.status == "refunded"
    account = loser_deposit.account
    assert account is not None
    account.refresh_from_db()
    assert (account.balance, account.frozen) == (Decimal("0.00"), Decimal("0.00"))
    with as_user(browser, base, CHEN) as page:
        page.goto(f"{base}/settlement/me/")
        assert page.get_by_text(f"保证金退还 {project.code} 陈明").is_visible()
        assert page.locator("tr", has_text=project.title).get_by_text("已退还").is_visible()
        shot(page, "journey1-23-loser-statement")
    with as_user(browser, base, FINANCE) as page:
        page.goto(f"{base}/settlement/finance/trial-balance/?verify=1")
        assert page.get_by_text("账务核对通过").is_visible()
        shot(page, "journey1-24-trial-balance")

    out = io.StringIO()
    call_command("verify_ledger", stdout=out)  # exits 1 on any breach
    assert ledger.ledger_verify().ok, out.getvalue()


# ------------------------------------------------------------------------------------ journey 2


def test_journey2_single_buyer_agreement_deal_to_certificate(browser, server, shot, tmp_path):
    base = server.url
    project = lf.disclosed(
        "asset", seller=user(SELLER2), reviewer=user(REVIEWER), manager=user(MANAGER),
        title="太原市小店区数控机床12台转让（协议）", trading_method="agreement",
        valuation=Decimal("300000.00"), floor_price=Decimal("300000.00"), deposit_amount=Decimal("30000.00"),
        buyer_conditions=CONDITIONS,
    )  # fmt: skip
    files = steps.material_files(tmp_path / "materials")

    with as_user(browser, base, CHEN) as page:
        app_id = steps.buyer_applies(page, base, project.pk, bid_floor="320000", files=files, shot=shot,
                                     name="journey2-01-chen-apply")  # fmt: skip
    with as_user(browser, base, REVIEWER) as page:
        label = steps.staff_reviews(page, base, app_id, qualify=True, shot=shot, name="journey2-02-review")
    assert label == "资格已确认，待交保证金"
    assert steps.deposits_arrive([app_id], finance=user(FINANCE)) == 1

    # disclosure ends with one bidder: the outcome job makes the agreement deal at the 意向报价
    steps.disclosure_ends(project.pk)
    trading.outcomes_run()
    outcome = Outcome.objects.get(project_id=project.pk)
    assert outcome.decision == Outcome.Decision.AGREEMENT and outcome.auction_id is None
    assert not Auction.objects.filter(project_id=project.pk).exists()
    deal = Deal.objects.get(project=project)
    assert (deal.kind, deal.price, deal.buyer.phone) == ("agreement", Decimal("320000.00"), CHEN)
    assert Application.objects.get(pk=app_id).status == Status.WINNER
    with as_user(browser, base, CHEN) as page:
        page.goto(f"{base}/trading/applications/{app_id}/")
        shot(page, "journey2-03-chen-application-won")

    _after_deal(browser, base, deal, SELLER2, shot, tmp_path, 4, "journey2")
    assert Certificate.objects.filter(deal=deal).count() == 1
    assert ledger.ledger_verify().ok


# ------------------------------------------------------------------------------------ journey 3


def test_journey3_winner_defaults_deposit_forfeited_relisted_and_barred(browser, server, shot, tmp_path):
    base = server.url
    project = lf.disclosed(
        "forest", seller=user(SELLER3), reviewer=user(REVIEWER), manager=user(MANAGER),
        title="吕梁市交口县600亩林地经营权转让", buyer_conditions=CONDITIONS,
    )  # fmt: skip
    trading.terms_ensure(project_id=project.pk)
    trading.terms_update(project_id=project.pk, actor=user(REVIEWER), free_period_seconds=2, countdown_seconds=5,
                         increment="10000")  # fmt: skip
    chen, liu = user(CHEN), user(LIU)
    apps = [tf.qualified(project, who, staff=user(REVIEWER)) for who in (chen, liu)]
    assert steps.deposits_arrive([a.pk for a in apps], finance=user(FINANCE)) == 2

    # the auction: 陈明 bids once, nobody else; the clock closes it after the countdown
    steps.disclosure_ends(project.pk)
    auction_id = steps.outcome_job(project.pk)
    engine.auction_open(auction_id=auction_id)
    auction = Auction.objects.get(pk=auction_id)
    engine.bid_place(auction_id=auction_id, user=chen, amount=auction.start_price + auction.increment, key="j3-1")
    auction.refresh_from_db()
    with clock.frozen(auction.ends_at + dt.timedelta(seconds=1)):
        assert engine.auction_close(auction_id=auction_id)
    trading.outcomes_run()
    deal = Deal.objects.get(project=project)
    assert deal.buyer_id == chen.pk and deal.status == Deal.Status.OPEN
    with as_user(browser, base, CHEN) as page:
        page.goto(f"{base}/deals/me/{deal.pk}/")
        shot(page, "journey3-01-winner-deal-to-sign")

    # 陈明 does not sign by the deadline: the hourly job records the default
    with clock.frozen(dt.datetime.combine(deal.sign_deadline + dt.timedelta(days=1), dt.time(9))):
        deals.defaults_run()
    deal.refresh_from_db()
    assert deal.status == Deal.Status.DEFAULTED and deal.default_reason
    deposit = DepositInstruction.objects.get(project_id=project.pk, member=chen)
    assert deposit.status == DepositInstruction.Status.FORFEITED
    assert CreditEvent.objects.filter(member=chen, project_id=project.pk).exists()
    other = DepositInstruction.objects.get(project_id=project.pk, member=liu)
    assert other.status == "confirmed" and other.refund_due_on is not None  # the loser's refund is scheduled
    with as_user(browser, base, REVIEWER) as page:
        page.goto(f"{base}/deals/staff/{deal.pk}/")
        shot(page, "journey3-02-staff-deal-defaulted")

    # the manager relists at 95% of the valuation; the worker opens the new disclosure
    page_ctx = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    try:
        page = page_ctx.new_page()
        deal_steps.staff_relists(page, base, deal.pk, f"{project.valuation * Decimal('0.95'):.2f}", MANAGER,
                                 shot=shot, name="journey3-03-relisted")  # fmt: skip
    finally:
        page_ctx.close()
    project.refresh_from_db()
    assert project.status == P.RELISTED and project.round == 2
    project = _publish(project)
    assert project.status == P.DISCLOSURE

    # the defaulter applies to the relisted project: refused with the barred message
    files = steps.material_files(tmp_path / "materials")
    with as_user(browser, base, CHEN) as page:
        page.goto(f"{base}/projects/{project.pk}/")
        shot(page, "journey3-04-defaulter-project-page")
        page.goto(f"{base}/trading/projects/{project.pk}/apply/")
        for field in page.query_selector_all("input[type=file]"):
            field.set_input_files(str(files[field.get_attribute("name") or ""]))
        if page.query_selector("input[name=bid_floor]"):
            page.fill("input[name=bid_floor]", f"{project.floor_price:.2f}")
            page.check("input[name=accept_commitment]")
            page.get_by_role("button", name="提交受让申请").click()
        page.get_by_text("您曾在本项目中违约（悔拍），不能再次报名受让本项目。").first.wait_for()
        shot(page, "journey3-05-defaulter-barred")
    assert not Application.objects.filter(project=project, round=2, applicant=chen).exists()
