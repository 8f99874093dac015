"""The deposit instruction follows the application: cancelled when a qualified applicant
withdraws, re-issued when they are qualified again, and a deposit that arrives for an
application that can no longer become a bidder is refunded automatically."""

from __future__ import annotations

import datetime as dt

import pytest

from exchange.core import clock
from exchange.core.errors import IllegalTransition
from exchange.settlement import services as settlement
from exchange.settlement.models import DepositInstruction, PaymentItem, StatementLine
from exchange.trading import services
from exchange.trading.models import Application, Status
from tests.settlement import factories as sf
from tests.trading import factories as f

pytestmark = pytest.mark.django_db


def _pay(instruction: DepositInstruction, django_capture_on_commit_callbacks, when: dt.datetime | None = None) -> None:
    """The deposit arrives by bank statement; settlement's signal reaches trading after commit."""
    with django_capture_on_commit_callbacks(execute=True):
        sf.import_rows(
            [sf.row(amount=instruction.amount, virtual_account=instruction.virtual_account, when=when or clock.now())],
            actor=sf.finance(),
        )


def test_withdrawing_before_paying_cancels_the_instruction_and_a_later_payment_is_an_exception(
    django_capture_on_commit_callbacks,
):
    project = f.project()
    app = f.qualified(project)
    services.application_withdraw(application_id=app.pk, actor=app.applicant, reason="另有安排")
    instruction = DepositInstruction.objects.get(pk=app.deposit_instruction_id)
    assert instruction.status == "cancelled" and project.code in instruction.outcome_reason
    _pay(instruction, django_capture_on_commit_callbacks)
    assert StatementLine.objects.get().problem == "not_pending"  # finance returns it to the payer
    app.refresh_from_db()
    assert app.status == Status.WITHDRAWN


def test_qualified_again_after_withdrawing_pays_into_the_reissued_instruction(django_capture_on_commit_callbacks):
    project = f.project()
    first = f.qualified(project)
    services.application_withdraw(application_id=first.pk, actor=first.applicant)
    again = f.qualified(project, first.applicant)
    instruction = DepositInstruction.objects.get(pk=again.deposit_instruction_id)
    assert instruction.pk == first.deposit_instruction_id and instruction.status == "pending"
    _pay(instruction, django_capture_on_commit_callbacks)
    again.refresh_from_db()
    assert again.status == Status.DEPOSIT_CONFIRMED


def test_withdrawing_while_the_deposit_is_being_confirmed_is_refused_and_nothing_changes():
    project = f.project()
    app = f.qualified(project)
    instruction = DepositInstruction.objects.get(pk=app.deposit_instruction_id)
    sf.import_rows(  # confirmed in settlement; the signal has not reached trading yet
        [sf.row(amount=instruction.amount, virtual_account=instruction.virtual_account, when=clock.now())],
        actor=sf.finance(),
    )
    with pytest.raises(IllegalTransition) as err:
        services.application_withdraw(application_id=app.pk, actor=app.applicant)
    assert "刷新" in err.value.message
    app.refresh_from_db()
    instruction.refresh_from_db()
    assert app.status == Status.QUALIFIED and instruction.status == "confirmed"


def test_a_deposit_confirmed_for_a_closed_application_is_refunded_automatically(django_capture_on_commit_callbacks):
    project = f.project()
    app = f.qualified(project)
    Application.objects.filter(pk=app.pk).update(status=Status.CLOSED, closed_reason="已组织竞价")
    instruction = DepositInstruction.objects.get(pk=app.deposit_instruction_id)
    _pay(instruction, django_capture_on_commit_callbacks)
    instruction.refresh_from_db()
    assert instruction.status == "refunding" and "已关闭" in instruction.outcome_reason
    item = PaymentItem.objects.get(instruction=instruction)
    assert (item.kind, item.amount, item.payee_account) == ("refund", instruction.amount, "6222021234567890123")
    app.refresh_from_db()
    assert app.status == Status.CLOSED


def test_a_late_payment_matched_by_hand_revives_a_lapsed_application_while_the_round_is_open(
    django_capture_on_commit_callbacks,
):
    project = f.project()
    app = f.qualified(project)
    with clock.frozen(app.deposit_due_at + dt.timedelta(minutes=1)):
        services.applications_lapse()
        settlement.deposits_expire()
    instruction = DepositInstruction.objects.get(pk=app.deposit_instruction_id)
    finance = sf.finance()
    _pay(instruction, django_capture_on_commit_callbacks, when=app.deposit_due_at + dt.timedelta(hours=1))
    line = StatementLine.objects.get()
    assert line.problem == "late"
    with django_capture_on_commit_callbacks(execute=True):
        settlement.statement_line_match(line_id=line.pk, instruction_id=instruction.pk, actor=finance)
    app.refresh_from_db()
    assert app.status == Status.DEPOSIT_CONFIRMED


def test_a_late_payment_for_a_lapsed_application_after_the_outcome_is_refunded(django_capture_on_commit_callbacks):
    from exchange.listings.models import Project

    project = f.project()
    app = f.qualified(project)
    with clock.frozen(app.deposit_due_at + dt.timedelta(minutes=1)):
        services.applications_lapse()
        settlement.deposits_expire()
    Project.objects.filter(pk=project.pk).update(status="bidding", is_open=False)  # the auction was organised
    instruction = DepositInstruction.objects.get(pk=app.deposit_instruction_id)
    _pay(instruction, django_capture_on_commit_callbacks, when=app.deposit_due_at + dt.timedelta(hours=1))
    with django_capture_on_commit_callbacks(execute=True):
        settlement.statement_line_match(
            line_id=StatementLine.objects.get().pk, instruction_id=instruction.pk, actor=sf.finance()
        )
    app.refresh_from_db()
    instruction.refresh_from_db()
    assert app.status == Status.LAPSED and instruction.status == "refunding"


def test_a_bidders_own_confirmation_is_never_refunded():
    project = f.project()
    app = f.bidder(project)
    assert (
        services.deposit_confirmed_apply(
            project_id=project.pk, member_id=app.applicant_id, instruction_id=app.deposit_instruction_id
        )
        is None
    )
    assert DepositInstruction.objects.get(pk=app.deposit_instruction_id).status == "confirmed"
