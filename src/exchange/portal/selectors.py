"""Read-side queries of the portal."""

from __future__ import annotations

from django.db.models import QuerySet

from exchange.core import clock
from exchange.portal.models import Article


def articles_published(*, kind: str | None = None) -> QuerySet[Article]:
    qs = Article.objects.filter(is_published=True, published_at__lte=clock.now())
    return qs.filter(kind=kind) if kind else qs
