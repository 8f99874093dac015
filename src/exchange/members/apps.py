from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MembersConfig(AppConfig):
    name = "exchange.members"
    label = "members"
    verbose_name = _("会员服务")

    def ready(self) -> None:
        from exchange.core import audit
        from exchange.members import checks  # noqa: F401  (registers the deployment checks)

        # Messages and deliveries are themselves the record of what was sent (and they are
        # many): not audited field by field. Preferences and the blacklist are.
        audit.register_models(self, exclude=["message", "delivery"])
        self._register_jobs_and_queues()

    def _register_jobs_and_queues(self) -> None:
        from exchange.core import schedule, work_queues
        from exchange.members import tasks
        from exchange.members.models import Delivery

        schedule.every(900, tasks.deliveries_requeue)
        work_queues.register(
            work_queues.WorkQueue(
                key="members.failed_deliveries",
                label=_("发送失败的通知"),
                permission="members.resend_delivery",
                items=lambda: Delivery.objects.filter(status=Delivery.Status.FAILED),
                age_field="failed_at",
                url_name="admin:members_delivery_changelist",
                url_query="status__exact=failed",
            )
        )
