from collections.abc import Iterable

from django.utils.translation import gettext_lazy as _

from exchange.core import registry
from exchange.core.registry import Demo, Panel, UploadRoute
from exchange.core.work_queues import WorkQueue


class BrokersConfig(registry.ExchangeAppConfig):
    name = "exchange.brokers"
    label = "brokers"
    verbose_name = _("经纪会员与委托")
    urls = "exchange.brokers.urls"
    role_grants = "exchange.brokers.role_grants.GRANTS"
    demo = Demo("exchange.brokers.demo.seed")
    panels = (Panel("accounts.center_side", "brokers/_center_card.html", order=20),)
    upload_routes = (
        UploadRoute(
            r"/brokers/apply/",
            "exchange.brokers.conf.application_body_bytes",
            "broker status: licence and business document",
        ),
    )

    def ready(self) -> None:
        from exchange.core import audit

        super().ready()
        audit.register_models(self)

    def work_queues(self) -> Iterable[WorkQueue]:
        from exchange.brokers.models import BrokerApplication

        yield WorkQueue(
            key="brokers.application_pending",
            label=_("经纪会员资格待审核"),
            permission="brokers.review_brokerapplication",
            items=lambda: BrokerApplication.objects.filter(status=BrokerApplication.Status.PENDING),
            age_field="submitted_at",
            url_name="admin:brokers_brokerapplication_changelist",
            url_query="status__exact=pending",
        )
