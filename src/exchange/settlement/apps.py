from collections.abc import Iterable

from django.utils.translation import gettext_lazy as _

from exchange.core import registry
from exchange.core.registry import ApiRouter, Demo, Every, Panel, UploadRoute
from exchange.core.work_queues import WorkQueue


class SettlementConfig(registry.ExchangeAppConfig):
    name = "exchange.settlement"
    label = "settlement"
    verbose_name = _("结算")
    urls = "exchange.settlement.urls"
    api_routers = (ApiRouter("/settlement", "exchange.settlement.api.router", order=30),)
    role_grants = "exchange.settlement.role_grants.GRANTS"
    demo = Demo("exchange.settlement.demo.seed")
    schedules = (
        Every(3600, "exchange.settlement.tasks.refunds_due"),
        Every(3600, "exchange.settlement.tasks.deposits_expire"),
        Every(3600, "exchange.settlement.tasks.price_overdue_check"),
        Every(3600, "exchange.settlement.tasks.releases_due"),
        Every(3600, "exchange.settlement.tasks.statement_uploads_expire"),
    )
    panels = (Panel("site.topbar", "settlement/_topbar_link.html", order=20),)
    upload_routes = (
        UploadRoute(
            r"/settlement/finance/import/|/settlement/finance/batches/[0-9]+/",
            "document",
            "bank statements and receipts",
        ),
    )

    def ready(self) -> None:
        from exchange.core import audit

        super().ready()
        # Postings and entries are themselves the insert-only record of every movement;
        # cached balances change by queryset updates (not audited field by field).
        audit.register_models(self, exclude=["posting", "entry"])

    def work_queues(self) -> Iterable[WorkQueue]:
        from exchange.settlement.models import PaymentBatch, StatementLine

        yield WorkQueue(
            key="settlement.exceptions",
            label=_("银行来款异常待处理"),
            permission="settlement.resolve_statementline",
            items=lambda: StatementLine.objects.filter(status=StatementLine.Status.EXCEPTION),
            age_field="created_at",
            url_name="settlement:exceptions",
        )
        yield WorkQueue(
            key="settlement.batches_to_approve",
            label=_("代发批次待审批"),
            permission="settlement.approve_paymentbatch",
            items=lambda: PaymentBatch.objects.filter(status=PaymentBatch.Status.DRAFT),
            age_field="prepared_at",
            url_name="settlement:batches",
        )
