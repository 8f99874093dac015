"""Editorial content of the public portal: news (新闻资讯) and help pages (帮助中心)."""

from __future__ import annotations

from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from exchange.core.text import PlainTextModel


class Article(PlainTextModel, models.Model):
    class Kind(models.TextChoices):
        NEWS = "news", _("新闻资讯")
        POLICY = "policy", _("政策法规")
        HELP = "help", _("帮助中心")

    PLAIN_TEXT_FIELDS = ("title", "source")  # checked by the admin's form (exchange.core.text)

    kind = models.CharField(_("栏目"), max_length=10, choices=Kind.choices, db_index=True)
    title = models.CharField(_("标题"), max_length=200)
    summary = models.CharField(_("摘要"), max_length=300, blank=True)
    body = models.TextField(_("正文"))
    source = models.CharField(_("来源"), max_length=100, blank=True)
    is_published = models.BooleanField(_("已发布"), default=False)
    published_at = models.DateTimeField(_("发布时间"), default=timezone.now, db_index=True)
    sort_order = models.PositiveSmallIntegerField(_("排序"), default=100, help_text=_("帮助中心按此升序排列"))
    slug = models.SlugField(
        _("固定地址"), max_length=50, blank=True, help_text=_("填写后可通过 /pages/<固定地址>/ 访问，如 terms、privacy")
    )

    class Meta:
        verbose_name = _("文章")
        verbose_name_plural = _("文章")
        ordering = ["-published_at"]
        indexes = [models.Index(fields=["kind", "is_published", "-published_at"])]
        constraints = [
            models.UniqueConstraint(fields=["slug"], condition=~models.Q(slug=""), name="article_unique_slug")
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        if self.slug:
            return reverse("portal:page", args=[self.slug])
        return reverse("portal:article", args=[self.pk])
