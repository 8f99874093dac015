from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BrokersConfig(AppConfig):
    name = "exchange.brokers"
    label = "brokers"
    verbose_name = _("经纪会员与委托")

    def ready(self) -> None:
        from exchange.core import audit

        audit.register_models(self)
        self._register_work_queues()

    def _register_work_queues(self) -> None:
        from exchange.brokers.models import BrokerApplication
        from exchange.core import work_queues

        work_queues.register(
            work_queues.WorkQueue(
                key="brokers.application_pending",
                label=_("经纪会员资格待审核"),
                permission="brokers.review_brokerapplication",
                items=lambda: BrokerApplication.objects.filter(status=BrokerApplication.Status.PENDING),
                age_field="submitted_at",
                url_name="admin:brokers_brokerapplication_changelist",
                url_query="status__exact=pending",
            )
        )
