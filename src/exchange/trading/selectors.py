"""Reads of the trading app (pages, the API and other apps)."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext as _

from exchange.listings import selectors as listings_selectors
from exchange.settlement import selectors as settlement_selectors
from exchange.trading.models import (
    ACTIVE_STATUSES,
    IN_REVIEW,
    Application,
    MaterialDraft,
    Outcome,
    Status,
    TradingTerms,
)


def application_for(project_id: int, member_id: int) -> Application | None:
    """The member's application in the project's current round (the latest one), or None."""
    round_ = listings_selectors.project_round(project_id)
    if round_ is None:
        return None
    return (
        Application.objects.filter(project_id=project_id, applicant_id=member_id, round=round_)
        .order_by("-submitted_at", "-pk")
        .first()
    )


def my_applications(user: Any) -> QuerySet[Application]:
    return Application.objects.filter(applicant=user).select_related("project").order_by("-submitted_at", "-pk")


def review_queue() -> QuerySet[Application]:
    """Applications waiting for a staff decision, oldest first."""
    return (
        Application.objects.filter(status__in=IN_REVIEW)
        .select_related("project", "applicant", "first_reviewer")
        .order_by("submitted_at", "pk")
    )


def relist_queue() -> QuerySet[Outcome]:
    """Rounds that ended without bidders and wait for staff to relist (or terminate)."""
    return Outcome.objects.filter(decision=Outcome.Decision.RELIST_PENDING, project__status="disclosure_ended")


def project_applicants(project_id: int) -> QuerySet[Application]:
    round_ = listings_selectors.project_round(project_id) or 1
    return (
        Application.objects.filter(project_id=project_id, round=round_)
        .select_related("applicant")
        .order_by("submitted_at", "pk")
    )


# The project states in which the qualification review (and so the seller's opinion) runs.
SELLER_REVIEW_PROJECT_STATUSES = ("disclosure", "extended", "suspended", "disclosure_ended")


def awaiting_seller_opinion(project: Any) -> QuerySet[Application]:
    """The applications the seller (or their broker) may see: only where the project's terms
    require the seller's opinion on buyer qualification, only those of the current round
    still in review and still awaiting that opinion, and only while the review runs. Every
    other applicant — and the bidders, before the result — stays unknown to the seller."""

    required = TradingTerms.objects.filter(project_id=project.pk, seller_opinion_required=True).exists()
    if not required or project.status not in SELLER_REVIEW_PROJECT_STATUSES:
        return Application.objects.none()
    return (
        Application.objects.filter(project_id=project.pk, round=project.round, status__in=IN_REVIEW, seller_opinion="")
        .select_related("applicant")
        .prefetch_related("materials")
        .order_by("submitted_at", "pk")
    )


def project_counts(project_id: int) -> dict[str, int]:
    qs = project_applicants(project_id)
    agg = qs.aggregate(
        total=Count("pk"),
        active=Count("pk", filter=Q(status__in=ACTIVE_STATUSES)),
        bidders=Count("pk", filter=Q(status=Status.DEPOSIT_CONFIRMED)),
    )
    return {k: int(v or 0) for k, v in agg.items()}


def deposit_instruction(app: Application) -> Any:
    return settlement_selectors.deposit_instruction(app.deposit_instruction_id)


def timeline(app: Application) -> list[tuple[Any, str, str]]:
    """(time, label, detail) of every step the application went through, in order."""

    steps: list[tuple[Any, str, str]] = [(app.submitted_at, _("提交受让申请"), "")]
    for r in app.reviews.all():
        if r.step == "seller":
            opinion = _("同意") if r.decision == "agree" else _("有异议")
            steps.append((r.decided_at, _("转让方意见：%(o)s") % {"o": opinion}, r.note))
        elif r.decision == "reject":
            steps.append((r.decided_at, _("资格未获确认"), "；".join(r.reasons)))
        else:
            steps.append((r.decided_at, _("资格审核通过") if r.step == "first" else _("复核通过"), ""))
    if app.qualified_at:
        steps.append((app.qualified_at, _("资格确认，待交保证金"), ""))
    if app.deposit_confirmed_at:
        steps.append((app.deposit_confirmed_at, _("保证金到账，成为竞买人"), ""))
    if app.bidder_no:
        steps.append((None, _("取得竞买号 %(no)s") % {"no": app.bidder_no}, ""))
    if app.closed_at:
        steps.append((app.closed_at, app.get_status_display(), app.closed_reason))
    return steps


def drafts_of(member_id: int, project_id: int, ids: list[int] | None = None) -> QuerySet[MaterialDraft]:
    """The member's drafts for the project (only theirs: anyone else's do not exist here)."""
    qs = MaterialDraft.objects.filter(member_id=member_id, project_id=project_id)
    return qs.filter(pk__in=ids) if ids is not None else qs


def latest_drafts(member_id: int, project_id: int) -> dict[str, MaterialDraft]:
    """The member's newest draft of each kind for the project (what a fresh form shows)."""
    latest: dict[str, MaterialDraft] = {}
    for draft in drafts_of(member_id, project_id).order_by("uploaded_at", "pk"):
        latest[draft.kind] = draft
    return latest
