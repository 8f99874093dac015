"""Reusable browser steps of the deal journey (after an auction or agreement is won).

Each step logs in as the given account (demo accounts by default, password Demo@2026),
does one thing through the pages, asserts what the user sees and returns what the next
step needs. The integrator chains them after the trading steps into one whole journey.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from decimal import Decimal
from pathlib import Path
from typing import Any

from exchange.portal.demo import DEMO_PASSWORD

REVIEWER = "13800000001"  # 王审核: reviews contracts, records defaults
FINANCE = "13800000002"  # 李结算: records the price payment
MANAGER = "13800000003"  # 张经理: relists, revokes certificates


def login_as(page: Any, base: str, phone: str, password: str = DEMO_PASSWORD) -> None:
    """A fresh session logged in as `phone`."""
    page.context.clear_cookies()
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=username]", phone)
    page.fill("input[name=password]", password)
    page.get_by_role("button", name="登录", exact=True).click()
    page.wait_for_load_state()


def _sign(page: Any, base: str, deal_id: int, phone: str, password: str, label: str, shot: Any, name: str) -> None:
    login_as(page, base, phone, password)
    page.goto(f"{base}/deals/me/")
    page.locator(f"a[href='/deals/me/{deal_id}/']").first.click()
    page.get_by_role("link", name="查看合同").click()
    page.get_by_text("产权交易合同").first.wait_for()
    page.get_by_role("checkbox").check()
    if shot:
        shot(page, f"{name}-contract")
    page.get_by_role("button", name=label).click()
    page.get_by_text("已确认签署产权交易合同").wait_for()
    if shot:
        shot(page, name)


def buyer_signs(
    page: Any, base: str, deal_id: int, phone: str, *, password: str = DEMO_PASSWORD, shot: Any = None,
    name: str = "deals-01-buyer-signed",
) -> None:  # fmt: skip
    """The buyer opens 我的成交 → the deal → the contract, ticks the consent and signs as buyer."""
    _sign(page, base, deal_id, phone, password, "以受让方身份确认签署", shot, name)


def seller_signs(
    page: Any, base: str, deal_id: int, phone: str, *, password: str = DEMO_PASSWORD, shot: Any = None,
    name: str = "deals-02-seller-signed",
) -> None:  # fmt: skip
    """The seller (or their broker) signs as seller; afterwards the contract awaits review."""
    _sign(page, base, deal_id, phone, password, "以转让方身份确认签署", shot, name)
    page.get_by_text("双方已签署").first.wait_for()


def staff_approves_contract(
    page: Any, base: str, deal_id: int, phone: str = REVIEWER, *, password: str = DEMO_PASSWORD, shot: Any = None,
    name: str = "deals-03-review",
) -> None:  # fmt: skip
    """The reviewer finds the deal in the 合同待审核 queue and approves it: the contract takes effect."""
    login_as(page, base, phone, password)
    page.goto(f"{base}/deals/staff/?queue=review")
    page.locator(f"a[href='/deals/staff/{deal_id}/']").first.click()
    if shot:
        shot(page, name)
    page.get_by_role("button", name="审核通过，合同生效").click()
    page.get_by_text("合同已审核通过，已生效。").wait_for()
    page.get_by_text("合同已生效").first.wait_for()


def buyer_sees_payment_instructions(
    page: Any, base: str, deal_id: int, phone: str, *, password: str = DEMO_PASSWORD, shot: Any = None,
    name: str = "deals-04-buyer-payment-instructions",
) -> tuple[Decimal, str]:  # fmt: skip
    """The buyer opens the deal on 我的成交 after the contract took effect: 付款说明 shows what is
    still owed and their virtual sub-account. Returns (amount still owed, account) as shown."""
    login_as(page, base, phone, password)
    page.goto(f"{base}/deals/me/{deal_id}/")
    box = page.locator("#payment")
    box.get_by_text("您的专属虚拟子账号").wait_for()
    assert "请将价款汇入上述虚拟子账号" in box.inner_text()
    owed = Decimal((page.text_content("[data-outstanding]") or "").strip().lstrip("¥").replace(",", ""))
    account = (page.text_content("[data-pay-to-account]") or "").strip()
    assert owed > 0 and account
    if shot:
        box.scroll_into_view_if_needed()
        shot(page, name)
    return owed, account


def buyer_sees_price_settled(
    page: Any,
    base: str,
    deal_id: int,
    phone: str,
    *,
    password: str = DEMO_PASSWORD,
    shot: Any = None,
    name: str = "deals-04-buyer-price-settled",
) -> str:
    """After the payment matched: 付款说明 says 价款已结清 (no bank details any more). Returns the box's text."""
    login_as(page, base, phone, password)
    page.goto(f"{base}/deals/me/{deal_id}/")
    box = page.locator("#payment")
    box.get_by_text("价款已结清").wait_for()
    text = box.inner_text()
    assert "请将价款汇入" not in text and "收款账号" not in text
    if shot:
        box.scroll_into_view_if_needed()
        shot(page, name)
    return text


def finance_records_payment(
    page: Any, base: str, deal_id: int, reference: str, phone: str = FINANCE, *, password: str = DEMO_PASSWORD,
    amount: str | None = None, shot: Any = None, name: str = "deals-04-payment-recorded",
) -> None:  # fmt: skip
    """Finance records the price arriving (the form is prefilled with what is still owed).
    With the full amount the deal is paid, the 成交公告 published and the certificate issued."""
    login_as(page, base, phone, password)
    page.goto(f"{base}/deals/staff/{deal_id}/")
    if amount is not None:
        page.fill("input[name=amount]", amount)
    page.fill("input[name=reference]", reference)
    page.get_by_role("button", name="登记价款到账").click()
    page.wait_for_load_state()
    if shot:
        shot(page, name)


def buyer_downloads_certificate(
    page: Any, base: str, deal_id: int, phone: str, dest: Path, *, password: str = DEMO_PASSWORD, shot: Any = None,
    name: str = "deals-05-member-deal-certificate",
) -> tuple[Path, str]:  # fmt: skip
    """The buyer downloads the 交易凭证 PDF from 我的成交; returns (pdf path, its text).
    The text is read with pdftotext and must show the certificate and its verification URL."""
    login_as(page, base, phone, password)
    page.goto(f"{base}/deals/me/{deal_id}/")
    page.get_by_text("凭证编号").wait_for()
    if shot:
        shot(page, name)
    with page.expect_download() as info:
        page.get_by_role("link", name="下载交易凭证").click()
    pdf = dest / info.value.suggested_filename
    info.value.save_as(str(pdf))
    assert pdf.read_bytes().startswith(b"%PDF")
    text = ""
    if shutil.which("pdftotext"):
        text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
        assert "产权交易凭证" in text
        # the raw text first: the layout mode de-hyphenates, so a verification URL printed
        # across two lines at a "-" of its check code would lose that "-"
        raw = subprocess.run(["pdftotext", "-raw", str(pdf), "-"], capture_output=True, text=True, check=True)
        text = raw.stdout + "\f" + text
    return pdf, text


def verify_url_from_certificate_text(text: str) -> str:
    """The verification URL printed under the QR code (the QR encodes the same string)."""
    match = re.search(r"(https?://[^\s]+?/deals/certificates/[A-Z0-9]+/[A-Za-z0-9_-]+/)", text.replace("\n", ""))
    assert match, "no verification URL in the certificate"
    return match.group(1)


def verification_page_shows(page: Any, url: str, *facts: str, shot: Any = None, name: str = "deals-06-verify") -> None:
    """Anyone (logged out) opening the QR's URL sees the certificate valid, with its facts."""
    page.context.clear_cookies()
    page.goto(url)
    page.get_by_text("该交易凭证真实有效。").wait_for()
    body = page.locator("main, body").first.inner_text()
    for fact in facts:
        assert fact in body, fact
    if shot:
        shot(page, name)


def staff_records_default(
    page: Any, base: str, deal_id: int, reason: str, phone: str = REVIEWER, *, password: str = DEMO_PASSWORD,
    shot: Any = None, name: str = "deals-07-defaulted",
) -> None:  # fmt: skip
    """Staff record the winner's default (悔拍) with a reason: deposit forfeited, buyer barred."""
    login_as(page, base, phone, password)
    page.goto(f"{base}/deals/staff/{deal_id}/")
    page.locator("#default-reason").fill(reason)
    page.get_by_role("button", name="认定受让方违约").click()
    page.get_by_text("已认定受让方违约。").wait_for()
    if shot:
        shot(page, name)


def staff_relists(
    page: Any, base: str, deal_id: int, floor_price: str, phone: str = MANAGER, *, password: str = DEMO_PASSWORD,
    shot: Any = None, name: str = "deals-08-relisted",
) -> None:  # fmt: skip
    """The manager relists the defaulted project with a new floor (≥90% of valuation needs no consent)."""
    login_as(page, base, phone, password)
    page.goto(f"{base}/deals/staff/?queue=defaults")
    page.locator(f"a[href='/deals/staff/{deal_id}/']").first.click()
    page.fill("input[name=floor_price]", floor_price)
    page.get_by_role("button", name="重新挂牌").click()
    page.get_by_text("已重新挂牌").first.wait_for()
    if shot:
        shot(page, name)


def certificate_qr_encodes(pdf: Path, url: str) -> bool:
    """Whether the QR code printed on the certificate encodes `url`: the PDF's image (pdfimages)
    is read module by module and compared with the QR code of `url` (segno, as the
    certificate draws it: error level M, 4 px per module, a border of 2 modules)."""
    import tempfile

    import segno
    from PIL import Image

    with tempfile.TemporaryDirectory() as folder:
        subprocess.run(["pdfimages", "-png", str(pdf), f"{folder}/img"], check=True)
        images = sorted(Path(folder).glob("img-*.png"))
        expected = [[bool(v) for v in row] for row in segno.make(url, error="m").matrix]
        size = len(expected)
        for path in images:
            image = Image.open(path).convert("L")
            if image.width != image.height or image.width % (size + 4):
                continue
            width, pixels = image.width, image.tobytes()
            scale = width // (size + 4)
            centre = [(n + 2) * scale + scale // 2 for n in range(size)]  # of each module, in px
            found = [[pixels[cy * width + cx] < 128 for cx in centre] for cy in centre]
            if found == expected:
                return True
    return False
