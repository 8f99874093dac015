from django.utils.translation import gettext_lazy as _

from exchange.core import registry
from exchange.core.registry import Every


class CoreConfig(registry.ExchangeAppConfig):
    name = "exchange.core"
    label = "core"
    verbose_name = _("基础数据")
    schedules = (
        Every(30, "exchange.core.tasks.worker_heartbeat"),
        Every(3600, "exchange.core.tasks.prune_finished_tasks"),
    )

    def ready(self) -> None:
        from exchange.core import audit

        super().ready()
        audit.register_models(self, exclude=["heartbeat"])
