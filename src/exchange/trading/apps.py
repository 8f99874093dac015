from collections.abc import Iterable

from django.utils.translation import gettext_lazy as _

from exchange.core import registry
from exchange.core.registry import ApiRouter, Demo, Every, Panel, UploadRoute
from exchange.core.work_queues import WorkQueue


class TradingConfig(registry.ExchangeAppConfig):
    name = "exchange.trading"
    label = "trading"
    verbose_name = _("受让登记与资格审核")
    urls = "exchange.trading.urls"
    api_routers = (ApiRouter("/trading", "exchange.trading.api.router", order=50),)
    role_grants = "exchange.trading.role_grants.GRANTS"
    demo = Demo("exchange.trading.demo.seed", after=("listings", "settlement", "bidding", "members"))
    schedules = (
        Every(60, "exchange.trading.tasks.outcomes_run"),
        Every(3600, "exchange.trading.tasks.drafts_clean"),
    )
    upload_routes = (
        UploadRoute(
            r"/trading/projects/[0-9]+/apply/",
            "exchange.trading.conf.application_body_bytes",
            "buyer application: one file per material kind",
        ),
        UploadRoute(
            r"/trading/projects/[0-9]+/drafts/", "material", "buyer application: one material, uploaded as it is chosen"
        ),
    )
    # the material kinds (id_proof, commitment …) read in words in the audit trail
    audit_codes = "exchange.trading.conf.MATERIAL_LABELS"
    panels = (
        Panel("listings.project_side", "trading/_apply_box.html", context="exchange.trading.panels.apply_box"),
        Panel(
            "accounts.center_main",
            "trading/_center_box.html",
            context="exchange.trading.panels.my_applications",
            order=10,
        ),
    )

    def ready(self) -> None:
        from exchange.core import audit

        super().ready()
        audit.register_models(self)
        self._connect()

    def _connect(self) -> None:
        from exchange.bidding.engine import auction_closed
        from exchange.settlement import signals as settlement_signals
        from exchange.trading import signals

        settlement_signals.deposit_confirmed.connect(signals.on_deposit_confirmed, dispatch_uid="trading.deposit")
        auction_closed.connect(signals.on_auction_closed, dispatch_uid="trading.auction_closed")

    def work_queues(self) -> Iterable[WorkQueue]:
        from exchange.trading import selectors

        yield WorkQueue(
            key="trading.review",
            label=_("受让资格待审核"),
            permission="trading.review_application",
            items=selectors.review_queue,
            age_field="submitted_at",
            url_name="trading:staff_queue",
        )
        yield WorkQueue(
            key="trading.relist",
            label=_("披露期满无竞买人待处理"),
            permission="listings.manage_disclosure",
            items=selectors.relist_queue,
            age_field="decided_at",
            url_name="trading:staff_queue",
            url_query="tab=relist",
        )
