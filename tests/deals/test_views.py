"""Member and staff deal pages, the public verification page, PDFs (text via pdftotext)."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest
from django.urls import reverse

from exchange.deals import services
from exchange.deals.models import Certificate, Deal
from tests.deals import factories as f
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
needs_poppler = pytest.mark.skipif(  # optional locally, required in CI
    not shutil.which("pdftotext") and os.environ.get("CI") != "true", reason="poppler-utils not installed"
)


def _pdf_text(content: bytes) -> str:
    return subprocess.run(["pdftotext", "-", "-"], input=content, capture_output=True, check=True).stdout.decode()


def _verify_url(cert: Certificate) -> str:
    return reverse("deals:certificate_verify", args=[cert.number, cert.check_code])


def test_member_deal_page_shows_own_fee_working_and_sign_button(client):
    deal = f.deal()
    client.force_login(deal.buyer)
    page = client.get(reverse("deals:member_deal", args=[deal.pk])).content.decode()
    assert deal.project_title in page
    assert "以受让方身份确认签署" in page
    assert "分段累进合计" in page and "受让方服务费" in page
    client.force_login(deal.seller)
    page = client.get(reverse("deals:member_deal", args=[deal.pk])).content.decode()
    assert "以转让方身份确认签署" in page and "转让方服务费" in page


def test_member_list_shows_only_own_deals(client):
    mine, other = f.deal(), f.deal()
    client.force_login(mine.buyer)
    page = client.get(reverse("deals:member_deals")).content.decode()
    assert mine.project_code in page and other.project_code not in page


def test_someone_elses_deal_is_404(client):
    deal = f.deal()
    client.force_login(f.buyer())
    for name in ("deals:member_deal", "deals:contract", "deals:contract_pdf"):
        assert client.get(reverse(name, args=[deal.pk])).status_code == 404


def test_signing_for_someone_else_through_the_page_shows_the_error(client):
    deal = f.deal()
    client.force_login(deal.buyer)
    response = client.post(reverse("deals:contract_sign", args=[deal.pk]), {"side": "seller"}, follow=True)
    assert "不能代他人签署" in response.content.decode()
    deal.refresh_from_db()
    assert deal.seller_signed_at is None and deal.buyer_signed_at is None


def test_sign_through_the_page(client):
    deal = f.deal()
    client.force_login(deal.buyer)
    response = client.post(
        reverse("deals:contract_sign", args=[deal.pk]), {"side": "buyer", "agree": "on"}, follow=True
    )
    assert "已确认签署" in response.content.decode()
    deal.refresh_from_db()
    assert deal.buyer_signed_at is not None


def test_equity_contract_uses_its_own_template_with_daxie(client):
    deal = f.deal(category="equity")
    assert deal.contract.template == "equity"
    client.force_login(deal.buyer)
    page = client.get(reverse("deals:contract", args=[deal.pk])).content.decode()
    assert "股权转让价款" in page and "壹佰贰拾万元整" in page and "¥1,200,000.00" in page


def test_default_contract_template_for_other_categories():
    assert f.deal(category="forest").contract.template == "default"


def test_verify_page_valid_revoked_and_wrong_code(client, settings):
    deal = f.certified()
    cert = Certificate.objects.get(deal=deal)
    page = client.get(_verify_url(cert)).content.decode()
    assert "真实有效" in page and cert.number in page and deal.project_title in page
    bad = reverse("deals:certificate_verify", args=[cert.number, "x" * len(cert.check_code)])
    missing = reverse("deals:certificate_verify", args=["JYPZ2026999999", cert.check_code])
    answers = [client.get(bad), client.get(missing)]
    for response in answers:  # a tampered link gets its own page, not the generic 404
        page = response.content.decode()
        assert response.status_code == 404 and response["X-Robots-Tag"] == "noindex"
        assert "未找到与该链接相符的有效交易凭证" in page and "您访问的页面不存在" not in page
        assert settings.EXCHANGE_HOTLINE in page and settings.EXCHANGE_EMAIL in page
        assert deal.project_title not in page  # nothing of the real certificate leaks
    # a wrong code and an unknown number read the same (no way to probe which numbers exist)
    card = [r.content.decode().split("data-certificate-invalid")[1].split("</section>")[0] for r in answers]
    assert card[0].replace(cert.number, "N") == card[1].replace("JYPZ2026999999", "N")
    services.certificate_revoke(certificate_id=cert.pk, actor=f.staff("manager"), reason="凭证信息有误")
    page = client.get(_verify_url(cert)).content.decode()
    assert "已被撤销" in page and "凭证信息有误" in page and "真实有效" not in page


def test_staff_list_queues_and_filters(client):
    signed = f.signed(f.deal())
    waiting = f.deal()
    client.force_login(f.staff())
    page = client.get(reverse("deals:staff_deals") + "?queue=review").content.decode()
    assert signed.project_code in page and waiting.project_code not in page
    page = client.get(reverse("deals:staff_deals") + "?status=open").content.decode()
    assert waiting.project_code in page and signed.project_code not in page


def test_staff_review_through_the_page(client):
    deal = f.signed(f.deal())
    client.force_login(f.staff())
    response = client.post(reverse("deals:staff_review", args=[deal.pk]), {"decision": "return"}, follow=True)
    assert "请填写原因" in response.content.decode()
    response = client.post(reverse("deals:staff_review", args=[deal.pk]), {"decision": "approve"}, follow=True)
    assert response.status_code == 200
    deal.refresh_from_db()
    assert deal.status == Deal.Status.EFFECTIVE


def test_member_cannot_use_staff_pages(client):
    deal = f.deal()
    client.force_login(deal.buyer)
    assert client.get(reverse("deals:staff_deals")).status_code == 403
    assert client.post(reverse("deals:staff_default", args=[deal.pk]), {"reason": "x"}).status_code == 403


def test_wrong_payment_amount_shows_settlements_message(client):
    deal = f.effective(f.deal())
    client.force_login(UserFactory(role="finance"))
    url = reverse("deals:staff_payment", args=[deal.pk])
    response = client.post(url, {"amount": "99999999.00", "reference": "T9"}, follow=True)
    assert "付款金额超过应付余额" in response.content.decode()
    response = client.post(url, {"amount": "12.345", "reference": "T9"}, follow=True)
    assert response.status_code == 200
    deal.refresh_from_db()
    assert deal.status == Deal.Status.EFFECTIVE


@needs_poppler
def test_contract_pdf_has_chinese_text(client):
    deal = f.deal(category="equity")
    client.force_login(deal.seller)
    response = client.get(reverse("deals:contract_pdf", args=[deal.pk]))
    assert response["Content-Type"] == "application/pdf"
    text = _pdf_text(response.content)
    assert "产权交易合同" in text and deal.contract.number in text and "壹佰贰拾万元整" in text


@needs_poppler
def test_certificate_pdf_has_facts_and_verification_url(client):
    deal = f.certified()
    cert = Certificate.objects.get(deal=deal)
    client.force_login(deal.buyer)
    response = client.get(reverse("deals:certificate_pdf", args=[deal.pk]))
    if dump := os.environ.get("DEALS_DUMP_PDF"):  # to look at it: pdftoppm -png <file> <prefix>
        with open(dump, "wb") as fh:
            fh.write(response.content)
    text = _pdf_text(response.content)
    assert "产权交易凭证" in text and cert.number in text and deal.buyer.name in text
    assert cert.check_code in text.replace("\n", "")


def test_certificate_pdf_missing_before_issue(client):
    deal = f.deal()
    client.force_login(deal.buyer)
    assert client.get(reverse("deals:certificate_pdf", args=[deal.pk])).status_code == 404


def test_the_public_result_notice_page_lists_published_results_with_the_deal_price(client):
    empty = client.get(reverse("portal:deal_notices"))
    assert "暂无成交公告" in empty.content.decode()
    deal_ = f.certified()
    notice = deal_.project.notices.get(kind="result")
    assert notice.published_at is not None and notice.period_end is not None
    page = client.get(reverse("portal:deal_notices")).content.decode()
    assert deal_.project.title in page and notice.number in page
    assert "¥1,200,000.00" in page  # the deal price from the deal, not the notice text


def test_payment_instructions_tell_the_buyer_to_pay_to_the_deposit_virtual_account(client):
    from exchange.settlement.models import DepositInstruction

    deal = f.effective(f.deal())
    account = DepositInstruction.objects.get(project_id=deal.project_id, member=deal.buyer).virtual_account
    client.force_login(deal.buyer)
    page = client.get(reverse("deals:member_deal", args=[deal.pk])).content.decode()
    assert "专属虚拟子账号" in page and account in page
    client.force_login(deal.seller)
    assert account not in client.get(reverse("deals:member_deal", args=[deal.pk])).content.decode()


def test_payment_box_shows_what_is_owed_then_a_settled_state_in_the_buyers_words(client):
    from exchange.settlement.models import DepositInstruction, PricePlan

    deal = f.effective(f.deal())
    account = DepositInstruction.objects.get(project_id=deal.project_id, member=deal.buyer).virtual_account
    url = reverse("deals:member_deal", args=[deal.pk])
    client.force_login(deal.buyer)
    page = client.get(url).content.decode()
    assert "请将价款汇入" in page and account in page and "尚需支付" in page
    # the short label with the note under the number (the long one wrapped in the 7em column)
    assert "<dt>收款账号</dt>" in page and "收款账号（" not in page and "您的专属虚拟子账号</span>" in page

    deal = f.pay_rest(deal)
    plan = PricePlan.objects.get(project_id=deal.project_id)
    assert plan.status == PricePlan.Status.RELEASE_SCHEDULED and deal.paid_at is not None
    page = client.get(url).content.decode()
    assert "价款已结清" in page and deal.paid_at.astimezone().strftime("%Y-%m-%d") in page
    assert "请将价款汇入" not in page and account not in page and "尚需支付" not in page and "附言" not in page
    assert "已结清，待向转让方划转" in page and "<dd data-plan-status>待划转" not in page

    plan.status = PricePlan.Status.RELEASED
    plan.save(update_fields=["status"])
    page = client.get(url).content.decode()
    assert "已结清，已划转转让方" in page and "请将价款汇入" not in page
