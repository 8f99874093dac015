from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SettlementConfig(AppConfig):
    name = "exchange.settlement"
    label = "settlement"
    verbose_name = _("结算")

    def ready(self) -> None:
        from exchange.core import audit

        audit.register_models(self)
