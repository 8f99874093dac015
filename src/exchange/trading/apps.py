from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TradingConfig(AppConfig):
    name = "exchange.trading"
    label = "trading"
    verbose_name = _("受让登记与资格审核")
