"""Reference data shared by every app: regions, the working-day calendar overrides,
and process heartbeats of the worker and clock."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Region(models.Model):
    """An administrative region (province / prefecture city / county) by its 6-digit code."""

    class Level(models.IntegerChoices):
        PROVINCE = 1, _("省级")
        CITY = 2, _("地级")
        COUNTY = 3, _("县级")

    code = models.CharField(_("行政区划代码"), max_length=6, unique=True)
    name = models.CharField(_("名称"), max_length=50)
    level = models.PositiveSmallIntegerField(_("级别"), choices=Level.choices, db_index=True)
    parent = models.ForeignKey(
        "self", verbose_name=_("上级"), null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    full_name = models.CharField(_("全称"), max_length=120, help_text=_("如：山西省太原市小店区"))

    class Meta:
        verbose_name = _("行政区划")
        verbose_name_plural = _("行政区划")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.full_name


class HolidayOverride(models.Model):
    """A staff-entered correction of the official calendar for one date.

    The library calendar (`holidays.China`) knows the State Council schedule for the
    years it has been published for; a row here wins over it, e.g. to enter next
    year's schedule the day it is announced, or a local closure.
    """

    class Kind(models.TextChoices):
        WORKDAY = "workday", _("工作日（含调休上班）")
        HOLIDAY = "holiday", _("休息日（节假日/调休放假）")

    date = models.DateField(_("日期"), unique=True)
    kind = models.CharField(_("类型"), max_length=10, choices=Kind.choices)
    note = models.CharField(_("说明"), max_length=100, blank=True, help_text=_("如：2027年春节调休"))

    class Meta:
        verbose_name = _("工作日历调整")
        verbose_name_plural = _("工作日历调整")
        ordering = ["-date"]

    def __str__(self) -> str:
        return f"{self.date:%Y-%m-%d} {self.get_kind_display()}"


class Heartbeat(models.Model):
    """Last sign of life of a background process (worker, clock), shown by /healthz."""

    process = models.CharField(_("进程"), max_length=30, unique=True)
    beat_at = models.DateTimeField(_("最近心跳"))
    detail = models.CharField(_("说明"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("后台进程心跳")
        verbose_name_plural = _("后台进程心跳")

    def __str__(self) -> str:
        return f"{self.process} @ {self.beat_at:%Y-%m-%d %H:%M:%S}"
