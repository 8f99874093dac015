"""Settlement's signals reach the deal: price_paid → PAID (+ notice, certificate);
seller_released → FUNDS_RELEASED; unknown projects and failures never break settlement."""

from __future__ import annotations

import logging

import pytest

from exchange.deals import services
from exchange.deals.models import Deal
from exchange.deals.services import handlers
from exchange.settlement import signals
from tests.deals import factories as f

pytestmark = pytest.mark.django_db


def test_price_paid_for_a_project_without_deal_is_ignored():
    signals.price_paid.send(sender="settlement", project_id=987654, plan_id=1)
    assert not Deal.objects.exists()


def test_price_paid_is_idempotent():
    deal = f.certified()
    signals.price_paid.send(sender="settlement", project_id=deal.project_id, plan_id=deal.price_plan_id)
    deal.refresh_from_db()
    assert deal.status == Deal.Status.CERTIFICATE_ISSUED
    assert deal.certificates.count() == 1


def test_handler_failure_is_logged_not_raised_and_the_job_catches_up(monkeypatch, caplog):
    deal = f.effective(f.deal())

    def broken(**kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(handlers, "deal_paid", broken)  # the name the handler calls
    with caplog.at_level(logging.ERROR):
        f.pay_rest(deal)  # settlement's payment commits; our handler fails
    assert "price_paid handling failed" in caplog.text
    deal.refresh_from_db()
    assert deal.status == Deal.Status.EFFECTIVE
    monkeypatch.undo()
    assert services.certificates_due_run() == 1
    deal.refresh_from_db()
    assert deal.status == Deal.Status.CERTIFICATE_ISSUED


def test_seller_released_moves_the_deal_on():
    deal = f.certified()
    signals.seller_released.send(sender="settlement", project_id=deal.project_id, plan_id=deal.price_plan_id, amount=1)
    deal.refresh_from_db()
    assert deal.status == Deal.Status.FUNDS_RELEASED


def test_auto_issue_off_leaves_the_certificate_to_staff(settings):
    settings.DEALS_CERTIFICATE_AUTO_ISSUE = False
    deal = f.deal()
    f.effective(deal)
    deal.refresh_from_db()
    deal = f.pay_rest(deal)
    assert deal.status == Deal.Status.PAID and not deal.certificates.exists()
    assert services.certificates_due_run() == 0
    cert = services.certificate_issue(deal_id=deal.pk, actor=f.staff("manager"))
    assert cert.number.startswith("JYPZ")
