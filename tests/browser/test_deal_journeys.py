"""After the hammer falls: buyer and seller sign, the exchange approves, finance records the
price, the buyer downloads the 交易凭证 and anyone verifies it through the QR's URL; and the
other ending: the winner defaults, the deposit is forfeited and staff relist the project."""

from __future__ import annotations

import shutil
import subprocess
from decimal import Decimal

import pytest

from exchange.deals import services
from exchange.deals.models import Certificate, Deal
from exchange.listings.models import Project
from exchange.settlement.models import CreditEvent, DepositInstruction
from tests.browser import journey_steps_deals as steps
from tests.deals import factories as f
from tests.factories import PASSWORD, UserFactory
from tests.listings import factories as listing_factories

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def _won_auction(category: str = "equity") -> Deal:
    """An auction won by a verified buyer with a confirmed deposit, opened through deal_open."""
    import importlib

    from django.apps import apps

    importlib.import_module("exchange.settlement.migrations.0002_ledger_guards_and_reference_data").seed(apps, None)
    seller = listing_factories.verified_seller()
    project = f.project_ready(category, seller=seller)
    winner, loser = f.buyer(), f.buyer()
    f.confirmed_deposit(project, winner)
    f.confirmed_deposit(project, loser)
    return services.deal_open(
        project_id=project.pk, buyer_id=winner.pk, price=Decimal("1350000.00"), kind="auction", bidder_no="A007"
    )


def test_signed_approved_paid_certificate_and_verification(live_server, page, shot, tmp_path):
    base = live_server.url
    deal = _won_auction()
    reviewer, finance = UserFactory(role="reviewer"), UserFactory(role="finance")

    steps.buyer_signs(page, base, deal.pk, deal.buyer.phone, password=PASSWORD, shot=shot)
    steps.seller_signs(page, base, deal.pk, deal.seller.phone, password=PASSWORD, shot=shot)
    deal.refresh_from_db()
    assert deal.status == Deal.Status.CONTRACT_SIGNED

    steps.staff_approves_contract(page, base, deal.pk, reviewer.phone, password=PASSWORD, shot=shot)
    deal.refresh_from_db()
    assert deal.status == Deal.Status.EFFECTIVE

    # a wrong amount first: settlement's message reaches the page and nothing changes
    steps.finance_records_payment(page, base, deal.pk, "BANK-0001", finance.phone, password=PASSWORD,
                                  amount="99999999.00")  # fmt: skip
    assert page.get_by_text("付款金额超过应付余额").is_visible()
    deal.refresh_from_db()
    assert deal.status == Deal.Status.EFFECTIVE
    steps.finance_records_payment(page, base, deal.pk, "BANK-0002", finance.phone, password=PASSWORD, shot=shot)
    deal.refresh_from_db()
    assert deal.status == Deal.Status.CERTIFICATE_ISSUED
    assert deal.result_notice is not None and deal.result_notice.published_at is not None

    pdf, text = steps.buyer_downloads_certificate(page, base, deal.pk, deal.buyer.phone, tmp_path,
                                                  password=PASSWORD, shot=shot)  # fmt: skip
    cert = Certificate.objects.get(deal=deal)
    if shutil.which("pdftoppm"):  # a PNG of the certificate to look at (Chinese and QR must render)
        out = shot.__globals__["SHOTS"] / "deals-09-certificate-pdf"
        subprocess.run(["pdftoppm", "-png", "-r", "80", "-singlefile", str(pdf), str(out)], check=True)
    url = steps.verify_url_from_certificate_text(text) if text else (
        f"{base}/deals/certificates/{cert.number}/{cert.check_code}/"
    )  # fmt: skip
    assert url.endswith(f"/deals/certificates/{cert.number}/{cert.check_code}/")
    steps.verification_page_shows(page, url, cert.number, deal.project_title, deal.buyer.name, "¥1,350,000.00",
                                  shot=shot)  # fmt: skip
    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    shot(page, "deals-10-verify-390")
    steps.login_as(page, base, deal.buyer.phone, PASSWORD)
    page.goto(f"{base}/deals/me/{deal.pk}/")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    shot(page, "deals-11-member-deal-390")


def test_winner_defaults_deposit_forfeited_and_project_relisted(live_server, page, shot):
    base = live_server.url
    deal = _won_auction("forest")
    reviewer, manager = UserFactory(role="reviewer"), UserFactory(role="manager")

    steps.staff_records_default(page, base, deal.pk, "竞得人书面表示放弃签约", reviewer.phone, password=PASSWORD,
                                shot=shot)  # fmt: skip
    deal.refresh_from_db()
    assert deal.status == Deal.Status.DEFAULTED
    deposit = DepositInstruction.objects.get(project_id=deal.project_id, member=deal.buyer)
    assert deposit.status == DepositInstruction.Status.FORFEITED
    assert CreditEvent.objects.filter(member=deal.buyer, project_id=deal.project_id).exists()

    project = Project.objects.get(pk=deal.project_id)
    assert project.status == "deal"
    steps.staff_relists(page, base, deal.pk, f"{project.valuation * Decimal('0.95'):.2f}", manager.phone,
                        password=PASSWORD, shot=shot)  # fmt: skip
    project.refresh_from_db()
    assert project.status == "relisted" and project.round == 2
    from exchange.deals.selectors import barred_member_ids

    assert barred_member_ids(project.pk) == {deal.buyer_id}
