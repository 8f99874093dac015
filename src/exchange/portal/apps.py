from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    name = "exchange.portal"
    label = "portal"
    verbose_name = _("门户网站")

    def ready(self) -> None:
        from exchange.core import audit

        audit.register_models(self)
