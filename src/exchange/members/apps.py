from collections.abc import Iterable

from django.utils.translation import gettext_lazy as _

from exchange.core import registry
from exchange.core.registry import ApiRouter, Demo, Every, Panel
from exchange.core.work_queues import WorkQueue


class MembersConfig(registry.ExchangeAppConfig):
    name = "exchange.members"
    label = "members"
    verbose_name = _("会员服务")
    urls = "exchange.members.urls"
    api_routers = (ApiRouter("/messages", "exchange.members.api.router", order=60),)
    role_grants = "exchange.members.role_grants.GRANTS"
    demo = Demo("exchange.members.demo.seed")
    schedules = (Every(900, "exchange.members.tasks.deliveries_requeue"),)
    panels = (
        Panel("site.topbar", "members/_header_link.html", order=10),
        Panel("accounts.center_side", "members/_center_card.html", order=30),
    )

    def ready(self) -> None:
        from exchange.core import audit
        from exchange.members import checks  # noqa: F401  (registers the deployment checks)

        super().ready()
        # Messages and deliveries are themselves the record of what was sent (and they are
        # many): not audited field by field. Preferences and the blacklist are.
        audit.register_models(self, exclude=["message", "delivery"])

    def work_queues(self) -> Iterable[WorkQueue]:
        from exchange.members.models import Delivery

        yield WorkQueue(
            key="members.failed_deliveries",
            label=_("发送失败的通知"),
            permission="members.resend_delivery",
            items=lambda: Delivery.objects.filter(status=Delivery.Status.FAILED),
            age_field="failed_at",
            url_name="admin:members_delivery_changelist",
            url_query="status__exact=failed",
        )
