from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DealsConfig(AppConfig):
    name = "exchange.deals"
    label = "deals"
    verbose_name = _("成交与交易凭证")
