"""Reviewing applications: the seller's opinion and the exchange's review."""

from __future__ import annotations

from collections.abc import Sequence

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from exchange.accounts.models import User
from exchange.core import audit, clock
from exchange.core.errors import IllegalTransition, InvalidInput, NotFound
from exchange.core.money import format_yuan
from exchange.core.permissions import require_staff
from exchange.listings.selectors import ProjectStatus as P
from exchange.listings.services import is_seller_side
from exchange.settlement.services import deposit_instruction_create
from exchange.trading.models import (
    IN_REVIEW,
    Application,
    Outcome,
    Review,
    Status,
)
from exchange.trading.services.common import (
    OPEN_FOR_APPLICATIONS,
    DeadlinePassed,
    ReasonNotPublished,
    SecondReviewerRequired,
    SellerOpinionRequired,
    _lock,
    _notify,
    _transition,
    condition_items,
)
from exchange.trading.services.terms import terms_ensure

# --------------------------------------------------------------------------- review


def seller_opinion_give(*, application_id: int, actor: User, agree: bool, note: str = "") -> Application:
    """The seller's (or their broker's, under a mandate in force) opinion on an applicant,
    only where the terms ask for it, once, while the application awaits it in review.

    Anyone else, and any application the seller may not see (terms without the seller's
    opinion, another round), gets NotFound: the seller learns nothing about the other
    applicants. Reviewed already → DeadlinePassed; opinion given → IllegalTransition.
    """

    note = (note or "").strip()
    if not agree and not note:
        raise InvalidInput(_("有异议时请说明理由。"), field="note")
    with transaction.atomic(), audit.action(actor, "application.seller_opinion", agree=agree):
        app = _lock(application_id)
        project = app.project
        terms = terms_ensure(project_id=project.pk)
        if not is_seller_side(project, actor) or not terms.seller_opinion_required or app.round != project.round:
            raise NotFound(_("受让申请不存在。"))
        if app.status not in IN_REVIEW:
            raise DeadlinePassed(_("资格审核已结束，不能再发表意见。"))
        if app.seller_opinion:
            raise IllegalTransition(_("您已对该申请发表意见。"), status=app.status)
        app.seller_opinion = "agree" if agree else "disagree"
        app.seller_note = note[:300]
        app.seller_opinion_at = clock.now()
        app.save(update_fields=["seller_opinion", "seller_note", "seller_opinion_at", "updated_at"])
        Review.objects.create(
            application=app, step=Review.Step.SELLER, actor=actor, decision=app.seller_opinion, note=note[:500],
            decided_at=app.seller_opinion_at,
        )  # fmt: skip
    return app


def application_review(
    *, application_id: int, actor: User, decision: str, reasons: Sequence[str] = (), note: str = ""
) -> Application:
    """Qualify or reject an applicant (资格确认).

    Rejection reasons must be items of the project's published buyer conditions (plus a
    free note). Where the terms ask for it, the seller's opinion comes first and two
    different staff decide (初审 then 复核). Qualification issues the deposit instruction
    (virtual account, due N WD later at the cut-off) and notifies the applicant.
    """
    require_staff(actor, "trading.review_application")
    if decision not in ("qualify", "reject"):
        raise InvalidInput(_("请选择审核意见。"), field="decision")
    note = (note or "").strip()[:500]
    reasons = [r.strip() for r in reasons if r and r.strip()]
    with transaction.atomic(), audit.action(actor, "application.review", decision=decision, reasons=reasons):
        app = _lock(application_id)
        project = app.project
        terms = terms_ensure(project_id=project.pk)
        if app.status not in IN_REVIEW:
            raise IllegalTransition(_("该申请不在待审核状态。"), status=app.status)
        if project.status not in (*OPEN_FOR_APPLICATIONS, P.SUSPENDED, P.DISCLOSURE_ENDED):
            raise DeadlinePassed(_("项目已进入交易组织或已结束，不能再审核受让资格。"))
        if (
            app.round != project.round
            or Outcome.objects.filter(project=project, round=app.round, cycle=project.extension_cycles)
            .exclude(decision=Outcome.Decision.EXTENDED)
            .exists()
        ):
            raise DeadlinePassed(_("本轮挂牌的交易组织已确定，不能再审核受让资格。"))
        step = Review.Step.SECOND if app.status == Status.SECOND_REVIEW else Review.Step.FIRST
        if step == Review.Step.SECOND and app.first_reviewer_id == actor.pk:
            raise SecondReviewerRequired(_("双人审核：复核须由另一名经办人办理。"))
        now = clock.now()
        if decision == "reject":
            published = condition_items(project.buyer_conditions)
            if not reasons:
                raise ReasonNotPublished(_("请至少选择一项不符合的受让方资格条件。"), field="reasons")
            outside = [r for r in reasons if r not in published]
            if outside:
                raise ReasonNotPublished(
                    _("不予确认只能依据已公布的受让方资格条件：“%(r)s”不在其中。") % {"r": outside[0]},
                    field="reasons",
                )
            Review.objects.create(
                application=app, step=step, actor=actor, decision="reject", reasons=reasons, note=note, decided_at=now
            )
            app.reject_reasons, app.decision_note, app.decided_at = reasons, note, now
            _transition(app, Status.REJECTED, fields=("reject_reasons", "decision_note", "decided_at"))
            _notify(
                app.applicant,
                kind="application.rejected",
                subject=_("%(t)s受让资格未获确认") % {"t": project.title},
                body=_("不符合的资格条件：%(r)s。%(n)s") % {"r": "；".join(reasons), "n": note},
                url=app.get_absolute_url(),
                key=f"application:{app.pk}:rejected",
            )
            return app
        if terms.seller_opinion_required and not app.seller_opinion:
            raise SellerOpinionRequired(_("本项目的资格确认须先征求转让方意见，转让方尚未发表意见。"))
        Review.objects.create(application=app, step=step, actor=actor, decision="qualify", note=note, decided_at=now)
        if terms.joint_review and step == Review.Step.FIRST:
            app.first_reviewer = actor
            _transition(app, Status.SECOND_REVIEW, fields=("first_reviewer",))
            return app

        instruction = deposit_instruction_create(
            project_id=project.pk,
            project_code=project.code or "",
            project_title=project.title,
            member=app.applicant,
            amount=project.deposit_amount,
            qualified_at=now,
        )
        app.decision_note, app.decided_at, app.qualified_at = note, now, now
        app.deposit_instruction_id, app.deposit_due_at = instruction.pk, instruction.due_at
        _transition(
            app,
            Status.QUALIFIED,
            fields=("decision_note", "decided_at", "qualified_at", "deposit_instruction_id", "deposit_due_at"),
        )
        _notify(
            app.applicant,
            kind="application.qualified",
            subject=_("%(t)s受让资格已确认，请交纳保证金") % {"t": project.title},
            body=_("请于%(due)s前将保证金%(amount)s汇入虚拟子账号%(acct)s（以银行到账时间为准）。")
            % {
                "due": f"{timezone.localtime(instruction.due_at):%Y-%m-%d %H:%M}",
                "amount": format_yuan(instruction.amount),
                "acct": instruction.virtual_account,
            },
            url=app.get_absolute_url(),
            key=f"application:{app.pk}:qualified",
        )
    return app
