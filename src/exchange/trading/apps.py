from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TradingConfig(AppConfig):
    name = "exchange.trading"
    label = "trading"
    verbose_name = _("受让登记与资格审核")

    def ready(self) -> None:
        from exchange.core import audit

        audit.register_models(self)
        self._connect()
        self._register_jobs_and_queues()

    def _connect(self) -> None:
        from exchange.bidding.engine import auction_closed
        from exchange.settlement import signals as settlement_signals
        from exchange.trading import signals

        settlement_signals.deposit_confirmed.connect(signals.on_deposit_confirmed, dispatch_uid="trading.deposit")
        auction_closed.connect(signals.on_auction_closed, dispatch_uid="trading.auction_closed")

    def _register_jobs_and_queues(self) -> None:
        from exchange.core import schedule, work_queues
        from exchange.trading import selectors, tasks

        schedule.every(60, tasks.outcomes_run)
        schedule.every(3600, tasks.drafts_clean)
        work_queues.register(
            work_queues.WorkQueue(
                key="trading.review",
                label=_("受让资格待审核"),
                permission="trading.review_application",
                items=selectors.review_queue,
                age_field="submitted_at",
                url_name="trading:staff_queue",
            )
        )
        work_queues.register(
            work_queues.WorkQueue(
                key="trading.relist",
                label=_("披露期满无竞买人待处理"),
                permission="listings.manage_disclosure",
                items=selectors.relist_queue,
                age_field="decided_at",
                url_name="trading:staff_queue",
                url_query="tab=relist",
            )
        )
