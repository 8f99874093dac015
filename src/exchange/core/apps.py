from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "exchange.core"
    label = "core"
    verbose_name = _("基础数据")

    def ready(self) -> None:
        from exchange.core import audit, schedule, tasks

        audit.register_models(self, exclude=["heartbeat"])
        schedule.every(30, tasks.worker_heartbeat)
        schedule.every(3600, tasks.prune_finished_tasks)
