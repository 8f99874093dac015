"""The trading varieties (交易品种) of the exchange: reference data every app may name, like
the regions. What each variety discloses, its code prefix and its rules live in listings
(`listings.category_specs`)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Category(models.TextChoices):
    EQUITY = "equity", _("股权")
    CAPITAL_INCREASE = "capital_increase", _("增资")
    ASSET = "asset", _("实物资产")
    REAL_ESTATE = "real_estate", _("房产")
    VEHICLE = "vehicle", _("车辆")
    FOREST = "forest", _("林权")
    RURAL = "rural", _("农村产权")
    MINING = "mining", _("矿权")
    IP = "ip", _("知识产权")
    DEBT = "debt", _("债权")
