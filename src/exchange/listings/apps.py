import functools
from collections.abc import Iterator
from typing import Any

from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from exchange.core import registry
from exchange.core.registry import ApiRouter, Demo, Every, Panel, UploadRoute
from exchange.core.work_queues import WorkQueue


class ListingsConfig(registry.ExchangeAppConfig):
    name = "exchange.listings"
    label = "listings"
    verbose_name = _("挂牌与信息披露")
    urls = "exchange.listings.urls"
    api_routers = (ApiRouter("/projects", "exchange.listings.api.router", order=10),)
    role_grants = "exchange.listings.role_grants.GRANTS"
    demo = Demo("exchange.listings.demo.seed", after=("brokers",))  # a broker files a draft under its mandate
    schedules = (Every(60, "exchange.listings.tasks.listings_tick"),)
    panels = (Panel("accounts.center_side", "listings/_center_card.html", order=10),)
    upload_routes = (
        UploadRoute(r"/my/projects/[0-9]+/", "document_or_video", "listing attachments: one file, a video at most"),
        UploadRoute(r"/admin/listings/project/import/", "document", "project import (back office)"),
    )

    def ready(self) -> None:
        from exchange.core import audit

        super().ready()
        audit.register_models(self, exclude=["codecounter", "follow"])

    def work_queues(self) -> Iterator[WorkQueue]:
        from exchange.listings import conf
        from exchange.listings.models import Project, Question, Status

        for step in conf.all_steps():
            yield WorkQueue(
                key=f"listings.review_{step.key}",
                label=format_lazy("{}：{}", _("待我审核"), _(step.label)),
                permission=step.permission,
                items=functools.partial(_waiting_projects, step.key),
                age_field="step_started_at",
                url_name="listings:review_queue",
                url_query=f"step={step.key}",
            )
            yield WorkQueue(
                key=f"listings.change_{step.key}",
                label=format_lazy("{}：{}", _("待我审核的变更"), _(step.label)),
                permission=step.permission,
                items=functools.partial(_waiting_changes, step.key),
                age_field="proposed_at",
                url_name="listings:review_queue",
                url_query=f"step={step.key}",
            )
        yield WorkQueue(
            key="listings.questions",
            label=_("待审核的路演提问"),
            permission="listings.moderate_question",
            items=lambda: Question.objects.filter(status="pending"),
            age_field="asked_at",
            url_name="admin:listings_question_changelist",
            url_query="status__exact=pending",
        )
        yield WorkQueue(
            key="listings.suspension_overdue",
            label=_("中止超过预计恢复日"),
            permission="listings.manage_disclosure",
            items=_suspension_overdue,
            age_field="suspended_at",
            url_name="admin:listings_project_changelist",
            url_query="status=suspended",
        )
        yield WorkQueue(
            key="listings.disclosure_ended",
            label=_("披露期满待处理"),
            permission="listings.manage_disclosure",
            items=lambda: Project.objects.filter(status=Status.DISCLOSURE_ENDED),
            age_field="ends_at",
            url_name="listings:disclosure_calendar",
        )


def _waiting_projects(step: str) -> Any:
    from exchange.listings.models import IN_REVIEW_STATUSES, Project

    return Project.objects.filter(status__in=IN_REVIEW_STATUSES, current_step=step)


def _waiting_changes(step: str) -> Any:
    from exchange.listings.models import ProjectChange

    return ProjectChange.objects.filter(status="pending", current_step=step)


def _suspension_overdue() -> Any:
    from exchange.core import clock
    from exchange.listings.models import Project, Status

    return Project.objects.filter(status=Status.SUSPENDED, suspend_until__lt=clock.today())
