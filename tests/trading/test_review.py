"""Qualification review: published conditions only, seller opinion, joint review, deposit instruction, lapse."""

from __future__ import annotations

import datetime as dt

import pytest

from exchange.core import clock
from exchange.core.errors import DomainError
from exchange.settlement.models import DepositInstruction
from exchange.trading import selectors, services
from exchange.trading.models import Application, Review, Status
from tests.trading import factories as f

pytestmark = pytest.mark.django_db


def test_condition_items_split_the_published_text():
    assert services.condition_items(f.CONDITIONS) == [
        "依法设立并有效存续的企业法人或具有完全民事行为能力的自然人",
        "具有良好的财务状况和支付能力",
        "具有良好商业信用",
    ]
    assert services.condition_items("") == []


def test_qualify_issues_the_deposit_instruction_due_in_3_workdays_at_17():
    project = f.project()
    app = f.apply(project)
    staff = f.reviewer()
    monday = clock.frozen(dt.datetime(2026, 12, 7, 10, 0))  # due Thursday 2026-12-10 17:00
    with monday:
        app = services.application_review(application_id=app.pk, actor=staff, decision="qualify", note="材料齐全")
    assert app.status == Status.QUALIFIED
    instruction = DepositInstruction.objects.get(pk=app.deposit_instruction_id)
    assert instruction.amount == project.deposit_amount and instruction.member == app.applicant
    local = instruction.due_at.astimezone(dt.timezone(dt.timedelta(hours=8)))
    assert (local.date(), local.hour) == (dt.date(2026, 12, 10), 17)
    assert app.deposit_due_at == instruction.due_at
    assert Review.objects.get(application=app).actor == staff


def test_reject_with_published_reasons_and_a_note():
    project = f.project()
    app = f.apply(project)
    reason = services.condition_items(project.buyer_conditions)[1]
    app = services.application_review(
        application_id=app.pk, actor=f.reviewer(), decision="reject", reasons=[reason], note="未提供资信证明原件"
    )
    assert app.status == Status.REJECTED and app.reject_reasons == [reason]
    assert not DepositInstruction.objects.filter(member=app.applicant).exists()


@pytest.mark.parametrize("reasons", [[], ["申请人不喜欢"]])
def test_reject_with_a_reason_outside_the_published_conditions_is_refused(reasons):
    project = f.project()
    app = f.apply(project)
    with pytest.raises(DomainError) as err:
        services.application_review(application_id=app.pk, actor=f.reviewer(), decision="reject", reasons=reasons)
    assert err.value.code == "reason_not_published"
    app.refresh_from_db()
    assert app.status == Status.SUBMITTED and not Review.objects.exists()


def test_only_reviewers_decide():
    project = f.project()
    app = f.apply(project)
    for actor in (f.buyer(), f.UserFactory(role="finance")):
        with pytest.raises(DomainError) as err:
            services.application_review(application_id=app.pk, actor=actor, decision="qualify")
        assert err.value.code == "permission_denied"


def test_joint_review_needs_two_different_staff():
    project = f.project()
    services.terms_update(project_id=project.pk, actor=f.reviewer(), joint_review=True)
    app = f.apply(project)
    first, second = f.reviewer(), f.UserFactory(role="manager")
    app = services.application_review(application_id=app.pk, actor=first, decision="qualify")
    assert app.status == Status.SECOND_REVIEW and app.deposit_instruction_id is None
    with pytest.raises(DomainError) as err:
        services.application_review(application_id=app.pk, actor=first, decision="qualify")
    assert err.value.code == "second_reviewer_required"
    app = services.application_review(application_id=app.pk, actor=second, decision="qualify")
    assert app.status == Status.QUALIFIED and app.deposit_instruction_id


def test_seller_opinion_comes_first_where_required():
    project = f.project()
    services.terms_update(project_id=project.pk, actor=f.reviewer(), seller_opinion_required=True)
    app = f.apply(project)
    with pytest.raises(DomainError) as err:
        services.application_review(application_id=app.pk, actor=f.reviewer(), decision="qualify")
    assert err.value.code == "seller_opinion_required"
    with pytest.raises(DomainError) as err:
        services.seller_opinion_give(application_id=app.pk, actor=f.buyer(), agree=True)
    assert err.value.code == "not_found"  # someone else learns nothing about the application
    with pytest.raises(DomainError):
        services.seller_opinion_give(application_id=app.pk, actor=project.seller, agree=False, note="")
    services.seller_opinion_give(application_id=app.pk, actor=project.seller, agree=True, note="无异议")
    app = services.application_review(application_id=app.pk, actor=f.reviewer(), decision="qualify")
    assert app.status == Status.QUALIFIED
    assert [label for _t, label, _d in selectors.timeline(app)][:3] == [
        "提交受让申请",
        "转让方意见：同意",
        "资格审核通过",
    ]


def test_acting_after_the_outcome_is_refused():
    project = f.project()
    services.terms_update(project_id=project.pk, actor=f.reviewer(), on_no_buyer="relist", seller_opinion_required=True)
    app = f.apply(project)
    f.ended(project)
    assert services.outcome_decide(project_id=project.pk).decision == "relist_pending"
    app.refresh_from_db()
    assert app.status == Status.CLOSED
    with pytest.raises(DomainError) as err:
        services.seller_opinion_give(application_id=app.pk, actor=project.seller, agree=True)
    assert err.value.code == "deadline_passed"
    with pytest.raises(DomainError) as err:
        services.application_review(application_id=app.pk, actor=f.reviewer(), decision="qualify")
    assert err.value.code == "illegal_transition"


def test_an_extension_keeps_applications_under_review():
    project = f.project()
    app = f.apply(project)
    f.ended(project)
    assert services.outcome_decide(project_id=project.pk).decision == "extended"
    app.refresh_from_db()
    assert app.status == Status.SUBMITTED
    assert (
        services.application_review(application_id=app.pk, actor=f.reviewer(), decision="qualify").status == "qualified"
    )
    assert f.apply(project).status == Status.SUBMITTED  # the extended disclosure takes new applications


def test_deposit_confirmed_makes_a_bidder_and_is_idempotent():
    project = f.project()
    app = f.bidder(project)
    assert app.status == Status.DEPOSIT_CONFIRMED and app.deposit_confirmed_at
    again = services.deposit_confirmed_apply(
        project_id=project.pk, member_id=app.applicant_id, instruction_id=app.deposit_instruction_id
    )
    assert again is None


def test_deposit_confirmed_signal_reaches_trading(django_capture_on_commit_callbacks):
    from tests.settlement import factories as sf

    project = f.project()
    app = f.qualified(project)
    instruction = DepositInstruction.objects.get(pk=app.deposit_instruction_id)
    with django_capture_on_commit_callbacks(execute=True):
        sf.import_rows(
            [sf.row(amount=instruction.amount, virtual_account=instruction.virtual_account, when=clock.now())],
            actor=sf.finance(),
        )
    app.refresh_from_db()
    assert app.status == Status.DEPOSIT_CONFIRMED


def test_the_matched_deposit_gives_the_bidder_a_number_shown_on_my_applications(
    client, django_capture_on_commit_callbacks
):
    """README: the matched deposit makes the applicant a 竞买人 with an anonymous 竞买号 — it
    used to be given only when the auction was organised, so 我的受让申请 showed "—"."""
    from tests.settlement import factories as sf

    # given two qualified applicants of one project
    project = f.project()
    apps = [f.qualified(project), f.qualified(project)]
    instructions = [DepositInstruction.objects.get(pk=a.deposit_instruction_id) for a in apps]
    # when the bank statement with both deposits is imported
    with django_capture_on_commit_callbacks(execute=True):
        sf.import_rows(
            [sf.row(amount=i.amount, virtual_account=i.virtual_account, when=clock.now()) for i in instructions],
            actor=sf.finance(),
        )
    # then each is a 竞买人 with a number of its own, told in the message and on the pages
    for app in apps:
        app.refresh_from_db()
    numbers = [a.bidder_no for a in apps]
    assert all(n.isdigit() and len(n) == 4 for n in numbers) and numbers[0] != numbers[1]
    first = apps[0]
    assert first.applicant.messages.filter(subject__contains=first.bidder_no).exists()
    client.force_login(first.applicant)
    page = client.get("/trading/applications/").content.decode()
    assert first.bidder_no in page and numbers[1] not in page
    # and the auction keeps the numbers
    f.ended(project)
    outcome = services.outcome_decide(project_id=project.pk)
    from exchange.bidding.models import AuctionBidder

    admitted = dict(AuctionBidder.objects.filter(auction_id=outcome.auction_id).values_list("user_id", "bidder_no"))
    assert admitted == {a.applicant_id: a.bidder_no for a in apps}


def test_unpaid_deposit_past_due_lapses():
    project = f.project()
    app = f.qualified(project)
    with clock.frozen(app.deposit_due_at - dt.timedelta(minutes=1)):
        assert services.applications_lapse() == 0
    with clock.frozen(app.deposit_due_at + dt.timedelta(minutes=1)):
        assert services.applications_lapse() == 1
        assert services.applications_lapse() == 0
    app.refresh_from_db()
    assert app.status == Status.LAPSED
    assert Application.objects.filter(status=Status.LAPSED).count() == 1
