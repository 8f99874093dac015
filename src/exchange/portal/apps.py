from django.utils.translation import gettext_lazy as _

from exchange.core import registry


class PortalConfig(registry.ExchangeAppConfig):
    name = "exchange.portal"
    label = "portal"
    verbose_name = _("门户网站")
    urls = "exchange.portal.urls"
    # demo data: portal/demo.py seeds the accounts and articles, then every app's `demo`

    def ready(self) -> None:
        from exchange.core import audit

        super().ready()
        audit.register_models(self)
