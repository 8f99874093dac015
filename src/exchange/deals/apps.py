from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DealsConfig(AppConfig):
    name = "exchange.deals"
    label = "deals"
    verbose_name = _("成交与交易凭证")

    def ready(self) -> None:
        from exchange.core import audit

        audit.register_models(self)
        self._connect_signals()
        self._register_jobs_and_queues()

    def _connect_signals(self) -> None:
        from exchange.deals import services
        from exchange.settlement import signals

        signals.price_paid.connect(services.on_price_paid, dispatch_uid="deals.price_paid")
        signals.seller_released.connect(services.on_seller_released, dispatch_uid="deals.seller_released")

    def _register_jobs_and_queues(self) -> None:
        from exchange.core import schedule, work_queues
        from exchange.deals import tasks
        from exchange.deals.models import Deal

        schedule.every(3600, tasks.defaults_check)
        schedule.every(3600, tasks.certificates_due)
        schedule.every(3600, tasks.deals_close)
        S = Deal.Status
        work_queues.register(
            work_queues.WorkQueue(
                key="deals.contracts_to_review",
                label=_("产权交易合同待审核"),
                permission="deals.review_contract",
                items=lambda: Deal.objects.filter(status=S.CONTRACT_SIGNED),
                age_field="updated_at",
                url_name="deals:staff_deals",
                url_query="queue=review",
            )
        )
        work_queues.register(
            work_queues.WorkQueue(
                key="deals.certificates_to_issue",
                label=_("交易凭证待出具"),
                permission="deals.issue_certificate",
                items=lambda: Deal.objects.filter(status=S.PAID),
                age_field="paid_at",
                url_name="deals:staff_deals",
                url_query="queue=certificates",
            )
        )
        work_queues.register(
            work_queues.WorkQueue(
                key="deals.defaults",
                label=_("违约待处理（逾期未签约/未付款、待重新挂牌）"),
                permission="deals.record_default",
                items=lambda: Deal.objects.filter(pk__in=_defaults_queue()),
                age_field="updated_at",
                url_name="deals:staff_deals",
                url_query="queue=defaults",
            )
        )


def _defaults_queue() -> list[int]:
    from exchange.deals import selectors

    return list(selectors.defaults_queue().values_list("pk", flat=True))
