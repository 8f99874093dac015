"""Roadshow Q&A (路演答疑), follows and view counts."""

from __future__ import annotations

from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext as _

from exchange.accounts.models import User
from exchange.core import audit, clock
from exchange.core.errors import Conflict, IllegalTransition, InvalidInput, NotFound, PermissionDenied
from exchange.core.permissions import require_staff
from exchange.listings.models import (
    OPEN_STATUSES,
    Answer,
    Follow,
    Notice,
    Project,
    Question,
    Status,
)
from exchange.listings.services.common import is_seller_side, project_for_update
from exchange.listings.services.notices import _notice_create

# --------------------------------------------------------------------------- roadshow Q&A, follow


def question_ask(*, project_id: int, actor: User, body: str) -> Question:
    """A member asks in the roadshow; the question is public after moderation."""
    body = body.strip()
    if not 2 <= len(body) <= 500 or "\x00" in body:
        raise InvalidInput(_("请填写问题（2–500字）。"), field="body")
    if not actor.is_authenticated or actor.is_staff:
        raise PermissionDenied(_("请以会员身份登录后提问。"))
    with transaction.atomic(), audit.action(actor, "question.ask"):
        project = project_for_update(project_id)
        if project.status not in (*OPEN_STATUSES, Status.SUSPENDED):
            raise IllegalTransition(_("项目不在披露期，不能提问。"))
        if Question.objects.filter(project=project, asker=actor, status=Question.Status.PENDING).count() >= 5:
            raise Conflict(_("您有较多问题待审核，请稍后再提问。"))
        return Question.objects.create(project=project, asker=actor, body=body, asked_at=clock.now())


def question_answer(*, question_id: int, actor: User, body: str) -> Answer:
    """The seller (or staff with listings.answer_question) answers; re-answering edits."""
    body = body.strip()
    if not 2 <= len(body) <= 2000 or "\x00" in body:
        raise InvalidInput(_("请填写回答（2–2000字）。"), field="body")
    with transaction.atomic(), audit.action(actor, "question.answer"):
        question = Question.objects.select_for_update().filter(pk=question_id).first()
        if question is None:
            raise NotFound()
        project = question.project
        staff = actor.has_perm("listings.answer_question")
        if not (staff or is_seller_side(project, actor)):
            raise PermissionDenied()
        if question.notice_id:
            raise IllegalTransition(_("该问答已收入答疑公告，不能修改。"))
        answer, _created = Answer.objects.update_or_create(
            question=question,
            defaults={"body": body, "answered_by": actor, "answered_at": clock.now(), "by_exchange": staff},
        )
        return answer


def question_moderate(*, question_id: int, actor: User, publish: bool) -> Question:
    """Staff publish or hide a question (and its answer)."""
    require_staff(actor, "listings.moderate_question")
    with transaction.atomic(), audit.action(actor, "question.moderate", publish=publish):
        question = Question.objects.select_for_update().filter(pk=question_id).first()
        if question is None:
            raise NotFound()
        question.status = Question.Status.PUBLISHED if publish else Question.Status.HIDDEN
        question.moderated_by, question.moderated_at = actor, clock.now()
        question.save(update_fields=["status", "moderated_by", "moderated_at"])
        return question


def qa_notice_publish(*, project_id: int, actor: User) -> Notice:
    """Bundle the published, answered questions not yet in a notice into a 答疑公告."""
    require_staff(actor, "listings.publish_notice")
    with transaction.atomic(), audit.action(actor, "notice.qa"):
        project = project_for_update(project_id)
        if not project.is_public:
            raise IllegalTransition(_("项目尚未公开披露。"))
        questions = list(
            Question.objects.select_related("answer")
            .filter(project=project, status=Question.Status.PUBLISHED, notice__isnull=True, answer__isnull=False)
            .order_by("asked_at")
        )
        if not questions:
            raise InvalidInput(_("没有可收入答疑公告的已回答问题。"))
        notice = _notice_create(project=project, kind=Notice.Kind.QA, actor=actor, extra={"questions": questions})
        Question.objects.filter(pk__in=[q.pk for q in questions]).update(notice=notice)
        return notice


def follow_toggle(*, project_id: int, user: User) -> bool:
    """Follow or unfollow a public project; returns whether the user now follows it."""
    if not user.is_authenticated:
        raise PermissionDenied(_("请登录后关注项目。"))
    if user.is_staff:
        raise PermissionDenied(_("请以会员身份登录后关注项目。"))
    with transaction.atomic(), audit.action(user, "project.follow"):
        project = project_for_update(project_id)
        if not project.is_public:
            raise NotFound()
        deleted, _detail = Follow.objects.filter(user=user, project=project).delete()
        if deleted:
            Project.objects.filter(pk=project.pk).update(follower_count=F("follower_count") - 1)
            return False
        Follow.objects.create(user=user, project=project, created_at=clock.now())
        Project.objects.filter(pk=project.pk).update(follower_count=F("follower_count") + 1)
        return True


def project_viewed(*, project_id: int) -> None:
    """Count a page view (one UPDATE, no lock, no audit)."""
    Project.objects.filter(pk=project_id).update(view_count=F("view_count") + 1)
