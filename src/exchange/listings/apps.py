from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ListingsConfig(AppConfig):
    name = "exchange.listings"
    label = "listings"
    verbose_name = _("挂牌与信息披露")

    def ready(self) -> None:
        from exchange.core import audit

        audit.register_models(self)
