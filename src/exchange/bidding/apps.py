from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BiddingConfig(AppConfig):
    name = "exchange.bidding"
    label = "bidding"
    verbose_name = _("网络竞价")

    def ready(self) -> None:
        from exchange.bidding import conf, engine, tasks
        from exchange.core import audit, liveness, schedule

        # bids are audited by their own hash chain (append-only, verifiable), not by the
        # generic trail; auction state changes (create, open, close, pause, resume, rerun) are
        # a sealed slot is never copied into the trail (bidding/sealed.py)
        audit.register_models(self, exclude=("bid",), exclude_fields={"auctionbidder": ["sealed_slot"]})
        schedule.every(float(conf.get("CLOSE_INTERVAL_SECONDS")), tasks.close_due)
        # an outage of the web (nobody could bid): the affected deadlines move
        liveness.outage_ended.connect(engine.on_outage_ended, dispatch_uid="bidding.outage_extend")
