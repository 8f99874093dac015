import functools
from typing import Any

from django.apps import AppConfig
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _


class ListingsConfig(AppConfig):
    name = "exchange.listings"
    label = "listings"
    verbose_name = _("挂牌与信息披露")

    def ready(self) -> None:
        from exchange.core import audit, schedule
        from exchange.listings import tasks

        audit.register_models(self, exclude=["codecounter", "follow"])
        schedule.every(60, tasks.listings_tick)
        self._register_work_queues()

    def _register_work_queues(self) -> None:
        from exchange.core import work_queues
        from exchange.listings import conf
        from exchange.listings.models import Project, Question, Status

        for step in conf.all_steps():
            work_queues.register(
                work_queues.WorkQueue(
                    key=f"listings.review_{step.key}",
                    label=format_lazy("{}：{}", _("待我审核"), _(step.label)),
                    permission=step.permission,
                    items=functools.partial(_waiting_projects, step.key),
                    age_field="step_started_at",
                    url_name="listings:review_queue",
                    url_query=f"step={step.key}",
                )
            )
            work_queues.register(
                work_queues.WorkQueue(
                    key=f"listings.change_{step.key}",
                    label=format_lazy("{}：{}", _("待我审核的变更"), _(step.label)),
                    permission=step.permission,
                    items=functools.partial(_waiting_changes, step.key),
                    age_field="proposed_at",
                    url_name="listings:review_queue",
                    url_query=f"step={step.key}",
                )
            )
        work_queues.register(
            work_queues.WorkQueue(
                key="listings.questions",
                label=_("待审核的路演提问"),
                permission="listings.moderate_question",
                items=lambda: Question.objects.filter(status="pending"),
                age_field="asked_at",
                url_name="admin:listings_question_changelist",
                url_query="status__exact=pending",
            )
        )
        work_queues.register(
            work_queues.WorkQueue(
                key="listings.suspension_overdue",
                label=_("中止超过预计恢复日"),
                permission="listings.manage_disclosure",
                items=_suspension_overdue,
                age_field="suspended_at",
                url_name="admin:listings_project_changelist",
                url_query="status=suspended",
            )
        )
        work_queues.register(
            work_queues.WorkQueue(
                key="listings.disclosure_ended",
                label=_("披露期满待处理"),
                permission="listings.manage_disclosure",
                items=lambda: Project.objects.filter(status=Status.DISCLOSURE_ENDED),
                age_field="ends_at",
                url_name="listings:disclosure_calendar",
            )
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
