from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SettlementConfig(AppConfig):
    name = "exchange.settlement"
    label = "settlement"
    verbose_name = _("结算")

    def ready(self) -> None:
        from exchange.core import audit

        # Postings and entries are themselves the insert-only record of every movement;
        # cached balances change by queryset updates (not audited field by field).
        audit.register_models(self, exclude=["posting", "entry"])
        self._register_jobs_and_queues()

    def _register_jobs_and_queues(self) -> None:
        from exchange.core import schedule, work_queues
        from exchange.settlement import tasks
        from exchange.settlement.models import PaymentBatch, StatementLine

        schedule.every(3600, tasks.refunds_due)
        schedule.every(3600, tasks.deposits_expire)
        schedule.every(3600, tasks.price_overdue_check)
        schedule.every(3600, tasks.releases_due)
        schedule.every(3600, tasks.statement_uploads_expire)
        work_queues.register(
            work_queues.WorkQueue(
                key="settlement.exceptions",
                label=_("银行来款异常待处理"),
                permission="settlement.resolve_statementline",
                items=lambda: StatementLine.objects.filter(status=StatementLine.Status.EXCEPTION),
                age_field="created_at",
                url_name="settlement:exceptions",
            )
        )
        work_queues.register(
            work_queues.WorkQueue(
                key="settlement.batches_to_approve",
                label=_("代发批次待审批"),
                permission="settlement.approve_paymentbatch",
                items=lambda: PaymentBatch.objects.filter(status=PaymentBatch.Status.DRAFT),
                age_field="prepared_at",
                url_name="settlement:batches",
            )
        )
