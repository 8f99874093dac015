from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BiddingConfig(AppConfig):
    name = "exchange.bidding"
    label = "bidding"
    verbose_name = _("网络竞价")

    def ready(self) -> None:
        from exchange.core import audit

        audit.register_models(self)
