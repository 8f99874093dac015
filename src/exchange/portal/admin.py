from django.contrib import admin
from unfold.contrib.filters.admin import RangeDateTimeFilter

from exchange.core.admin_base import ExchangeModelAdmin
from exchange.portal.models import Article


@admin.register(Article)
class ArticleAdmin(ExchangeModelAdmin):
    list_display = ["title", "kind", "slug", "is_published", "published_at", "sort_order"]
    list_filter = ["kind", "is_published", ("published_at", RangeDateTimeFilter)]
    list_filter_submit = True
    search_fields = ["title", "summary", "body", "slug"]
    date_hierarchy = "published_at"
    list_editable = ["is_published", "sort_order"]
