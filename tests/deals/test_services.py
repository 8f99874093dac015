"""Rules of the deal lifecycle: deal_open, signing, review, payment, certificate, release."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from exchange.core import clock, workdays
from exchange.core.errors import DomainError, InvalidInput, PermissionDenied
from exchange.deals import selectors, services
from exchange.deals.models import Certificate, Deal
from exchange.listings.models import Notice, Project
from exchange.settlement.fees import fee_compute
from exchange.settlement.models import CreditEvent, DepositInstruction, PricePlan
from tests.deals import factories as f

pytestmark = pytest.mark.django_db
S = Deal.Status
PRICE = Decimal("1200000.00")


def _snapshot(deal: Deal) -> dict:
    deal.refresh_from_db()
    return {k: v for k, v in deal.__dict__.items() if not k.startswith("_")}


# --------------------------------------------------------------------------- deal_open


def test_deal_open_moves_project_creates_deal_fees_contract_and_schedules_refunds():
    # given
    project = f.project_ready()
    winner, loser = f.buyer(), f.buyer()
    f.confirmed_deposit(project, winner)
    other = f.confirmed_deposit(project, loser)
    # when
    deal = services.deal_open(project_id=project.pk, buyer_id=winner.pk, price=PRICE, kind="auction", bidder_no="A002")
    # then
    project.refresh_from_db()
    assert project.status == "deal"
    assert (deal.status, deal.round, deal.seller_id, deal.bidder_no) == (
        S.OPEN,
        project.round,
        project.seller_id,
        "A002",
    )
    today = timezone.localdate(deal.opened_at)
    assert deal.sign_deadline == workdays.add_workdays(today, 5)
    buyer_fee = fee_compute(amount=PRICE, method="bidding", side="buyer", category=project.category, on=today)
    seller_fee = fee_compute(amount=PRICE, method="bidding", side="seller", category=project.category, on=today)
    assert (deal.buyer_fee, deal.seller_fee) == (buyer_fee.total, seller_fee.total)
    assert deal.seller_fee_working["bands"] and deal.seller_fee_working["total"] == str(seller_fee.total)
    assert deal.contract.number == f"HT{today.year}{deal.contract.pk:06d}"
    other.refresh_from_db()
    assert other.refund_due_on == workdays.add_workdays(today, 3)
    mine = DepositInstruction.objects.get(project_id=project.pk, member=winner)
    assert mine.refund_due_on is None


def test_deal_open_is_idempotent_per_round():
    deal = f.deal()
    again = services.deal_open(project_id=deal.project_id, buyer_id=deal.buyer_id, price=deal.price, kind="auction")
    assert again.pk == deal.pk
    assert Deal.objects.filter(project_id=deal.project_id).count() == 1


def test_second_deal_for_the_same_round_is_refused_and_nothing_changes():
    deal = f.deal()
    before = _snapshot(deal)
    with pytest.raises(services.DealExists) as err:
        services.deal_open(project_id=deal.project_id, buyer_id=f.buyer().pk, price=PRICE, kind="auction")
    assert err.value.code == "deal_exists"
    assert Deal.objects.filter(project_id=deal.project_id).count() == 1
    assert _snapshot(deal) == before


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [({"kind": "lottery"}, "kind"), ({"price": Decimal("0")}, "price"), ({"price": Decimal("999999.99")}, "price")],
)
def test_deal_open_rejects_bad_input(kwargs, field):
    project = f.project_ready()
    args = {"project_id": project.pk, "buyer_id": f.buyer().pk, "price": PRICE, "kind": "auction", **kwargs}
    with pytest.raises(InvalidInput) as err:
        services.deal_open(**args)
    assert err.value.data["field"] == field
    project.refresh_from_db()
    assert project.status == "bidding"
    assert not Deal.objects.exists()


def test_agreement_deal_from_disclosure_ended_uses_the_agreement_schedule():
    project = f.project_ready(status="disclosure_ended")
    deal = f.deal(project=project, kind="agreement")
    assert deal.fee_method == "agreement"
    project.refresh_from_db()
    assert project.status == "deal"


# --------------------------------------------------------------------------- signing


def test_both_parties_sign_then_contract_signed():
    deal = f.deal()
    services.contract_sign(deal_id=deal.pk, actor=deal.buyer, side="buyer")
    deal.refresh_from_db()
    assert deal.status == S.OPEN and deal.buyer_signed_at is not None
    deal = services.contract_sign(deal_id=deal.pk, actor=deal.seller, side="seller")
    assert deal.status == S.CONTRACT_SIGNED
    assert deal.seller_signed_by_id == deal.seller_id


def test_broker_signs_for_the_seller_under_a_mandate_that_allows_it():
    from tests.brokers import factories as bf

    # given a project filed by a broker under the seller's mandate that includes signing
    broker = bf.broker()
    project = f.project_ready()
    bf.link(bf.mandate(broker, project.seller, may_sign=True), project)
    deal = f.deal(project=project)
    # when the broker signs as seller, then it is recorded as the seller's signature by the broker
    services.contract_sign(deal_id=deal.pk, actor=broker, side="seller")
    deal.refresh_from_db()
    assert deal.seller_signed_by_id == broker.pk


@pytest.mark.parametrize("case", ["no_mandate", "no_signing_scope", "revoked", "expired", "status_revoked"])
def test_a_broker_cannot_sign_for_the_seller_outside_its_mandate(case):
    """The reported hole: the project's broker (any self-declared partner) signed the seller's side."""
    from tests.factories import UserFactory

    project = f.project_ready()
    if case == "no_mandate":  # a self-declared partner recorded as the project's broker
        broker = UserFactory(role="partner")
        Project.objects.filter(pk=project.pk).update(broker=broker)
    else:
        from exchange.brokers import services as brokers
        from exchange.brokers.models import BrokerApplication
        from tests.brokers import factories as bf

        broker = bf.broker()
        m = bf.mandate(broker, project.seller, may_sign=case != "no_signing_scope", days=5)
        bf.link(m, project)
        if case == "revoked":
            brokers.mandate_revoke(mandate_id=m.pk, seller=project.seller, reason="终止合作")
        if case == "status_revoked":
            application = BrokerApplication.objects.get(user=broker, status="approved")
            brokers.broker_revoke(application_id=application.pk, actor=UserFactory(role="reviewer"), reason="吊销")
    deal = f.deal(project=project)
    later = clock.now() + dt.timedelta(days=6 if case == "expired" else 0)
    with clock.frozen(later), pytest.raises(DomainError) as err:
        services.contract_sign(deal_id=deal.pk, actor=broker, side="seller")
    assert err.value.code == "not_your_side"
    deal.refresh_from_db()
    assert deal.seller_signed_at is None and deal.seller_signed_by_id is None


@pytest.mark.parametrize("who", ["stranger", "seller_as_buyer", "buyer_as_seller"])
def test_signing_for_someone_else_is_refused_and_nothing_changes(who):
    deal = f.deal()
    actor, side = {
        "stranger": (f.buyer(), "buyer"),
        "seller_as_buyer": (deal.seller, "buyer"),
        "buyer_as_seller": (deal.buyer, "seller"),
    }[who]
    before = _snapshot(deal)
    with pytest.raises(services.NotYourSide) as err:
        services.contract_sign(deal_id=deal.pk, actor=actor, side=side)
    assert err.value.code == "not_your_side"
    assert _snapshot(deal) == before


def test_signing_twice_is_refused():
    deal = f.deal()
    services.contract_sign(deal_id=deal.pk, actor=deal.buyer, side="buyer")
    before = _snapshot(deal)
    with pytest.raises(services.AlreadySigned) as err:
        services.contract_sign(deal_id=deal.pk, actor=deal.buyer, side="buyer")
    assert err.value.code == "already_signed"
    assert _snapshot(deal) == before


def test_signing_after_the_deadline_is_refused():
    deal = f.deal()
    late = timezone.make_aware(dt.datetime.combine(deal.sign_deadline + dt.timedelta(days=1), dt.time(9)))
    before = _snapshot(deal)
    with clock.frozen(late), pytest.raises(services.DeadlinePassed) as err:
        services.contract_sign(deal_id=deal.pk, actor=deal.buyer, side="buyer")
    assert err.value.code == "deadline_passed"
    assert _snapshot(deal) == before


def test_signing_on_the_deadline_day_is_allowed():
    deal = f.deal()
    last = timezone.make_aware(dt.datetime.combine(deal.sign_deadline, dt.time(23, 30)))
    with clock.frozen(last):
        services.contract_sign(deal_id=deal.pk, actor=deal.buyer, side="buyer")


# --------------------------------------------------------------------------- review


def test_review_needs_the_permission():
    deal = f.signed(f.deal())
    with pytest.raises(PermissionDenied):
        services.contract_review(deal_id=deal.pk, actor=deal.buyer, decision="approve")
    with pytest.raises(PermissionDenied):
        services.contract_review(deal_id=deal.pk, actor=f.finance(), decision="approve")


def test_return_needs_a_reason_and_clears_signatures():
    deal = f.signed(f.deal())
    reviewer = f.staff()
    before = _snapshot(deal)
    with pytest.raises(services.ReasonRequired) as err:
        services.contract_review(deal_id=deal.pk, actor=reviewer, decision="return", reason="  ")
    assert err.value.code == "reason_required"
    assert _snapshot(deal) == before
    deal = services.contract_review(deal_id=deal.pk, actor=reviewer, decision="return", reason="附件缺失")
    assert deal.status == S.OPEN
    assert deal.buyer_signed_at is None and deal.seller_signed_at is None
    assert deal.return_reason == "附件缺失"


def test_approve_converts_the_deposit_and_opens_the_price_plan():
    deal = f.effective(f.deal())
    assert deal.status == S.EFFECTIVE
    deposit = DepositInstruction.objects.get(project_id=deal.project_id, member=deal.buyer)
    assert deposit.status == DepositInstruction.Status.CONVERTED
    plan = PricePlan.objects.get(pk=deal.price_plan_id)
    assert (plan.price, plan.buyer_fee, plan.seller_fee) == (deal.price, deal.buyer_fee, deal.seller_fee)
    assert deal.payment_due_on == workdays.add_workdays(deal.effective_on, 5)


def test_approve_with_instalments_validated_by_settlement():
    deal = f.signed(f.deal())
    today = clock.today()
    with pytest.raises(InvalidInput):  # first instalment below 30%
        services.contract_review(
            deal_id=deal.pk, actor=f.staff(), decision="approve", guarantee="银行保函",
            instalments=[(workdays.add_workdays(today, 3), Decimal("100000.00")),
                         (today + dt.timedelta(days=200), PRICE - Decimal("100000.00"))],
        )  # fmt: skip
    deal.refresh_from_db()
    assert deal.status == S.CONTRACT_SIGNED
    deal = services.contract_review(
        deal_id=deal.pk, actor=f.staff(), decision="approve", guarantee="银行保函",
        instalments=[(workdays.add_workdays(today, 3), Decimal("400000.00")),
                     (today + dt.timedelta(days=200), PRICE - Decimal("400000.00"))],
    )  # fmt: skip
    assert PricePlan.objects.get(pk=deal.price_plan_id).instalments.count() == 2


# --------------------------------------------------------------------------- payment, notice, certificate


def test_paying_more_than_owed_is_refused_by_settlement_and_surfaces():
    deal = f.effective(f.deal())
    with pytest.raises(InvalidInput) as err:
        services.deal_payment_record(deal_id=deal.pk, amount=Decimal("99999999.00"), reference="T1", actor=f.finance())
    assert err.value.data["field"] == "amount"
    deal.refresh_from_db()
    assert deal.status == S.EFFECTIVE


def test_recording_a_payment_before_the_contract_is_effective_is_refused():
    deal = f.deal()
    with pytest.raises(services.IllegalTransition):
        services.deal_payment_record(deal_id=deal.pk, amount=Decimal("1.00"), reference="T1", actor=f.finance())


def test_partial_payment_keeps_the_deal_effective():
    deal = f.effective(f.deal())
    with f.run_on_commit():
        services.deal_payment_record(deal_id=deal.pk, amount=Decimal("1000.00"), reference="T1", actor=f.finance())
    deal.refresh_from_db()
    assert deal.status == S.EFFECTIVE


def test_full_payment_publishes_the_result_notice_and_issues_the_certificate():
    deal = f.certified()
    assert deal.status == S.CERTIFICATE_ISSUED
    notice = deal.result_notice
    assert notice.kind == Notice.Kind.RESULT and notice.published_at is not None
    paid_on = timezone.localdate(deal.paid_at)
    assert notice.period_end == workdays.add_workdays(paid_on, 5)
    assert "交易价格：¥1,200,000.00" in notice.body
    assert "评估结果" in notice.body and "转让底价" in notice.body
    assert f"受让方：{deal.buyer.name}" in notice.body  # the default rule names the buyer
    assert deal.bidder_no and deal.bidder_no not in notice.body and "竞买号" not in notice.body
    cert = Certificate.objects.get(deal=deal)
    assert cert.number == f"JYPZ{paid_on.year}{cert.pk:06d}"
    assert len(cert.check_code) >= 16
    plan = PricePlan.objects.get(pk=deal.price_plan_id)
    assert plan.status == PricePlan.Status.RELEASE_SCHEDULED
    assert plan.certificate_issued_on == timezone.localdate(cert.issued_at)


def test_judicial_sale_result_notice_names_the_buyer():
    project = f.project_ready()
    attrs = {**project.attributes, "judicial_sale": True}
    Project.objects.filter(pk=project.pk).update(attributes=attrs)
    deal = f.certified(f.deal(project=project))
    assert deal.publish_buyer_name
    assert deal.buyer.name in deal.result_notice.body


def test_certificate_before_full_payment_is_refused():
    deal = f.effective(f.deal())
    with pytest.raises(services.NotFullyPaid) as err:
        services.certificate_issue(deal_id=deal.pk, actor=f.staff("manager"))
    assert err.value.code == "not_fully_paid"
    assert not Certificate.objects.exists()


def test_certificate_numbers_are_unique_and_one_valid_per_project():
    deals = [f.certified() for _ in range(3)]
    numbers = [Certificate.objects.get(deal=d).number for d in deals]
    assert len(set(numbers)) == 3
    again = services.certificate_issue(deal_id=deals[0].pk)
    assert again.number == numbers[0]
    assert Certificate.objects.filter(project_id=deals[0].project_id).count() == 1


def test_revocation_needs_a_reason_permission_and_happens_once():
    deal = f.certified()
    cert = Certificate.objects.get(deal=deal)
    manager = f.staff("manager")
    with pytest.raises(services.ReasonRequired):
        services.certificate_revoke(certificate_id=cert.pk, actor=manager, reason="")
    with pytest.raises(PermissionDenied):
        services.certificate_revoke(certificate_id=cert.pk, actor=f.staff("reviewer"), reason="错误")
    cert.refresh_from_db()
    assert cert.revoked_at is None
    services.certificate_revoke(certificate_id=cert.pk, actor=manager, reason="受让方名称有误")
    cert.refresh_from_db()
    assert cert.is_revoked and cert.revoke_reason == "受让方名称有误"
    with pytest.raises(services.Conflict):
        services.certificate_revoke(certificate_id=cert.pk, actor=manager, reason="再次")
    replacement = services.certificate_issue(deal_id=deal.pk, actor=manager)
    assert replacement.pk != cert.pk and not replacement.is_revoked


# --------------------------------------------------------------------------- release and close


def test_seller_released_then_closed_after_publicity():
    from exchange.settlement import services as settlement

    deal = f.certified()
    plan = PricePlan.objects.get(pk=deal.price_plan_id)
    with f.run_on_commit():
        settlement.price_release(plan_id=plan.pk)
    deal.refresh_from_db()
    assert deal.status == S.FUNDS_RELEASED  # publicity still running
    after = timezone.make_aware(dt.datetime.combine(deal.result_notice.period_end + dt.timedelta(days=1), dt.time(9)))
    with clock.frozen(after):
        assert services.deals_close_run() == 1
    deal.refresh_from_db()
    assert deal.status == S.CLOSED
    deal.project.refresh_from_db()
    assert deal.project.status == "closed"


# --------------------------------------------------------------------------- default and relist


def test_staff_default_forfeits_the_deposit_and_bars_the_buyer():
    deal = f.deal()
    reviewer = f.staff()
    with pytest.raises(services.ReasonRequired):
        services.deal_default(deal_id=deal.pk, actor=reviewer, reason="")
    with f.run_on_commit():
        deal = services.deal_default(deal_id=deal.pk, actor=reviewer, reason="拒绝签署合同")
    assert deal.status == S.DEFAULTED and deal.default_reason == "拒绝签署合同"
    deposit = DepositInstruction.objects.get(project_id=deal.project_id, member=deal.buyer)
    assert deposit.status == DepositInstruction.Status.FORFEITED
    assert CreditEvent.objects.filter(member=deal.buyer, project_id=deal.project_id).exists()
    assert selectors.barred_member_ids(deal.project_id) == {deal.buyer_id}
    deal.project.refresh_from_db()
    assert deal.project.status == "deal"


def test_default_needs_the_permission_and_an_open_deal():
    deal = f.deal()
    with pytest.raises(PermissionDenied):
        services.deal_default(deal_id=deal.pk, actor=deal.seller, reason="x")
    certified = f.certified()
    with pytest.raises(services.IllegalTransition):
        services.deal_default(deal_id=certified.pk, actor=f.staff(), reason="x")


def test_default_job_finds_late_signatures():
    deal = f.deal()
    on_time = f.deal()
    late = timezone.make_aware(dt.datetime.combine(deal.sign_deadline + dt.timedelta(days=1), dt.time(9)))
    signed_in_time = f.signed(on_time)
    assert signed_in_time.status == S.CONTRACT_SIGNED
    with clock.frozen(late):
        assert services.defaults_due() == [deal.pk]
        assert services.defaults_run() == 1
    deal.refresh_from_db()
    assert deal.status == S.DEFAULTED and "签约截止日" in deal.default_reason


def test_default_job_finds_late_payment():
    deal = f.effective(f.deal())
    late = timezone.make_aware(dt.datetime.combine(deal.payment_due_on + dt.timedelta(days=1), dt.time(9)))
    with clock.frozen(late):
        assert services.defaults_run() == 1
    deal.refresh_from_db()
    assert deal.status == S.DEFAULTED


def test_barred_buyer_cannot_win_the_resale_and_staff_relists():
    deal = f.deal()
    services.deal_default(deal_id=deal.pk, actor=f.staff(), reason="逾期未签约")
    manager = f.staff("manager")
    deal = services.deal_relist(deal_id=deal.pk, actor=manager, floor_price=Decimal("950000.00"))
    assert deal.relisted_at is not None
    project = Project.objects.get(pk=deal.project_id)
    assert project.status == "relisted" and project.round == 2 and project.floor_price == Decimal("950000.00")
    with pytest.raises(services.Conflict):
        services.deal_relist(deal_id=deal.pk, actor=manager, floor_price=Decimal("950000.00"))
    Project.objects.filter(pk=project.pk).update(status="bidding")
    with pytest.raises(services.BuyerBarred) as err:
        services.deal_open(project_id=project.pk, buyer_id=deal.buyer_id, price=PRICE, kind="auction")
    assert err.value.code == "buyer_barred"


def test_relist_below_ninety_percent_needs_consent():
    from exchange.listings.services import ConsentRequired

    deal = f.deal()
    services.deal_default(deal_id=deal.pk, actor=f.staff(), reason="逾期未签约")
    with pytest.raises(ConsentRequired):
        services.deal_relist(deal_id=deal.pk, actor=f.staff("manager"), floor_price=Decimal("500000.00"))
    deal.refresh_from_db()
    assert deal.relisted_at is None


def test_work_queues_count_what_waits():
    from exchange.core import work_queues

    f.signed(f.deal())
    late = f.deal()
    reviewer = f.staff()
    labels = {q.label: q.count for q in work_queues.queues_for(reviewer)}
    assert labels["产权交易合同待审核"] == 1
    after = timezone.make_aware(dt.datetime.combine(late.sign_deadline + dt.timedelta(days=1), dt.time(9)))
    with clock.frozen(after):
        labels = {q.label: q.count for q in work_queues.queues_for(reviewer)}
    assert labels["违约待处理（逾期未签约/未付款、待重新挂牌）"] == 1  # the unsigned one is late
    assert "交易凭证待出具" not in labels  # reviewers do not issue certificates


def test_default_after_the_contract_took_effect_forfeits_the_converted_deposit_and_refunds_the_price_paid():
    from exchange.settlement import ledger
    from exchange.settlement.models import AccountKind, PaymentItem

    deal = f.effective(f.deal())
    deposit = DepositInstruction.objects.get(project_id=deal.project_id, member=deal.buyer)
    _pay_by_statement(deposit, Decimal("200000.00"), txn="PART-1")  # part of the price, then nothing
    with f.run_on_commit():
        deal = services.deal_default(deal_id=deal.pk, actor=f.staff(), reason="未按期付款")
    assert deal.status == S.DEFAULTED
    deposit.refresh_from_db()
    assert deposit.status == DepositInstruction.Status.FORFEITED  # automatic now, no hand work
    plan = PricePlan.objects.get(pk=deal.price_plan_id)
    assert plan.status == PricePlan.Status.DEFAULTED
    assert ledger.system_account(AccountKind.FORFEIT_INCOME).balance == deposit.amount
    refund = PaymentItem.objects.get(kind="price_refund", member=deal.buyer)
    assert refund.amount == Decimal("200000.00")
    assert CreditEvent.objects.filter(member=deal.buyer, project_id=deal.project_id).exists()
    assert selectors.barred_member_ids(deal.project_id) == {deal.buyer_id}
    assert ledger.ledger_verify().ok


def test_default_job_after_the_payment_deadline_forfeits_the_converted_deposit():
    deal = f.effective(f.deal())
    late = timezone.make_aware(dt.datetime.combine(deal.payment_due_on + dt.timedelta(days=1), dt.time(9)))
    with clock.frozen(late):
        assert services.defaults_run() == 1
    deposit = DepositInstruction.objects.get(project_id=deal.project_id, member=deal.buyer)
    assert deposit.status == DepositInstruction.Status.FORFEITED
    assert PricePlan.objects.get(pk=deal.price_plan_id).status == PricePlan.Status.DEFAULTED


# --------------------------------------------------------------------------- price paid by bank statement


def _pay_by_statement(deposit: DepositInstruction, amount: Decimal, txn: str) -> None:
    from tests.settlement import factories as sf

    row = sf.row(amount=amount, virtual_account=deposit.virtual_account, when=clock.now(), txn=txn)
    with f.run_on_commit():
        sf.import_rows([row], actor=f.finance())


def test_price_paid_to_the_buyers_virtual_account_is_matched_and_the_deal_becomes_paid():
    from exchange.settlement.models import Account, AccountKind, StatementLine

    deal = f.effective(f.deal())
    deposit = DepositInstruction.objects.get(project_id=deal.project_id, member=deal.buyer)
    plan = PricePlan.objects.get(pk=deal.price_plan_id)
    owed = plan.amount_due - Account.objects.get(kind=AccountKind.PRICE, owner=deal.buyer).balance
    _pay_by_statement(deposit, owed - Decimal("1000.00"), txn="PRICE-1")
    deal.refresh_from_db()
    assert deal.status == S.EFFECTIVE
    _pay_by_statement(deposit, Decimal("1000.01"), txn="PRICE-2")  # more than still owed
    assert StatementLine.objects.get(bank_txn_id="PRICE-2").problem == "price_excess"
    _pay_by_statement(deposit, Decimal("1000.00"), txn="PRICE-3")
    deal.refresh_from_db()
    assert deal.status == S.CERTIFICATE_ISSUED and deal.result_notice is not None  # price_paid → paid → certificate


# --------------------------------------------------------------------------- agreement fees


def test_agreement_deal_fee_is_the_agreement_schedule_band_by_band():
    project = f.project_ready(status="disclosure_ended")
    Project.objects.filter(pk=project.pk).update(floor_price=Decimal("40000000.00"))
    deal = f.deal(project=project, kind="agreement", price=Decimal("45000000.00"))
    # 3,000万 × 0.24% + 1,500万 × 0.20%, both sides
    assert deal.buyer_fee == deal.seller_fee == Decimal("102000.00")
    bands = deal.buyer_fee_working["bands"]
    assert [(b["base"], b["rate"], b["fee"]) for b in bands] == [
        ("30000000.00", "0.002400", "72000.00"),
        ("15000000.00", "0.002000", "30000.00"),
    ]
    assert "协议转让" in deal.buyer_fee_working["schedule"]
    assert (
        deal.buyer_fee
        == fee_compute(
            amount=deal.price, method="agreement", side="buyer", category=project.category, on=clock.today()
        ).total
    )
