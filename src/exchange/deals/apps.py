from collections.abc import Iterable

from django.utils.translation import gettext_lazy as _

from exchange.core import registry
from exchange.core.registry import ApiRouter, Demo, Every, Panel
from exchange.core.work_queues import WorkQueue


class DealsConfig(registry.ExchangeAppConfig):
    name = "exchange.deals"
    label = "deals"
    verbose_name = _("成交与交易凭证")
    urls = "exchange.deals.urls"
    api_routers = (ApiRouter("/deals", "exchange.deals.api.router", order=40),)
    role_grants = "exchange.deals.role_grants.GRANTS"
    demo = Demo("exchange.deals.demo.seed", after=("listings", "settlement", "trading"))
    schedules = (
        Every(3600, "exchange.deals.tasks.defaults_check"),
        Every(3600, "exchange.deals.tasks.certificates_due"),
        Every(3600, "exchange.deals.tasks.deals_close"),
    )
    panels = (
        Panel("site.topbar", "deals/_topbar_link.html", order=30),
        Panel("accounts.center_main", "deals/_center_card.html", order=20),
    )

    def ready(self) -> None:
        from exchange.core import audit

        super().ready()
        audit.register_models(self)
        self._connect_signals()

    def _connect_signals(self) -> None:
        from exchange.deals import services
        from exchange.settlement import signals

        signals.price_paid.connect(services.on_price_paid, dispatch_uid="deals.price_paid")
        signals.seller_released.connect(services.on_seller_released, dispatch_uid="deals.seller_released")

    def work_queues(self) -> Iterable[WorkQueue]:
        from exchange.deals.models import Deal

        S = Deal.Status
        yield WorkQueue(
            key="deals.contracts_to_review",
            label=_("产权交易合同待审核"),
            permission="deals.review_contract",
            items=lambda: Deal.objects.filter(status=S.CONTRACT_SIGNED),
            age_field="updated_at",
            url_name="deals:staff_deals",
            url_query="queue=review",
        )
        yield WorkQueue(
            key="deals.certificates_to_issue",
            label=_("交易凭证待出具"),
            permission="deals.issue_certificate",
            items=lambda: Deal.objects.filter(status=S.PAID),
            age_field="paid_at",
            url_name="deals:staff_deals",
            url_query="queue=certificates",
        )
        yield WorkQueue(
            key="deals.defaults",
            label=_("违约待处理（逾期未签约/未付款、待重新挂牌）"),
            permission="deals.record_default",
            items=lambda: Deal.objects.filter(pk__in=_defaults_queue()),
            age_field="updated_at",
            url_name="deals:staff_deals",
            url_query="queue=defaults",
        )


def _defaults_queue() -> list[int]:
    from exchange.deals import selectors

    return list(selectors.defaults_queue().values_list("pk", flat=True))
