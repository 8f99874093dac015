from collections.abc import Iterable

from django.utils.translation import gettext_lazy as _

from exchange.bidding import conf
from exchange.core import registry
from exchange.core.registry import ApiRouter, Demo, Every


class BiddingConfig(registry.ExchangeAppConfig):
    name = "exchange.bidding"
    label = "bidding"
    verbose_name = _("网络竞价")
    urls = "exchange.bidding.urls"
    api_routers = (ApiRouter("/auctions", "exchange.bidding.api.router", order=20),)
    role_grants = "exchange.bidding.role_grants.GRANTS"
    demo = Demo("exchange.bidding.demo.seed")

    def periodic_jobs(self) -> Iterable[Every]:
        return (Every(float(conf.get("CLOSE_INTERVAL_SECONDS")), "exchange.bidding.tasks.close_due"),)

    def ready(self) -> None:
        from exchange.bidding import engine
        from exchange.core import audit, liveness

        super().ready()
        # bids are audited by their own hash chain (append-only, verifiable), not by the
        # generic trail; auction state changes (create, open, close, pause, resume, rerun) are
        # a sealed slot is never copied into the trail (bidding/sealed.py)
        audit.register_models(self, exclude=("bid",), exclude_fields={"auctionbidder": ["sealed_slot"]})
        # an outage of the web (nobody could bid): the affected deadlines move
        liveness.outage_ended.connect(engine.on_outage_ended, dispatch_uid="bidding.outage_extend")
