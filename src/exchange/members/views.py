"""The message center (站内消息) and notification settings of the logged-in user.

Thin: parse → one selector or service → render. A message belongs to its recipient only:
anyone else gets 404 (not 403: its existence is not disclosed).
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from exchange.core.errors import DomainError
from exchange.members import selectors, services
from exchange.members.kinds import CATEGORIES
from exchange.members.models import OPTIONAL_CHANNELS

PAGE_SIZE = 20


def _categories(user: Any) -> dict[str, object]:
    """The categories a user can set: "staff" (员工待办) only for staff."""
    return {k: v for k, v in CATEGORIES.items() if k != "staff" or user.is_staff}


@login_required
def message_list(request: HttpRequest) -> HttpResponse:
    """My messages, unread first; ?filter=unread shows only the unread ones."""
    only_unread = request.GET.get("filter") == "unread"
    page = Paginator(selectors.messages_for(request.user, unread=only_unread), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "members/message_list.html",
        {
            "page": page,
            "page_links": page.paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1),
            "filter": "unread" if only_unread else "all",
            "query": "filter=unread" if only_unread else "",
            "unread_total": selectors.unread_count(request.user),
        },
    )


@login_required
def message_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One of my messages; opening it marks it read."""
    message = selectors.message_of(request.user, pk)
    if message is None:
        raise Http404
    message = services.message_read(user=request.user, message_id=pk)
    link = (
        message.url
        if message.url
        and url_has_allowed_host_and_scheme(message.url, allowed_hosts={request.get_host()}, require_https=False)
        else ""
    )
    return render(request, "members/message_detail.html", {"message": message, "link": link})


@require_POST
@login_required
def messages_read_all(request: HttpRequest) -> HttpResponse:
    count = services.messages_read_all(user=request.user)
    flash.success(request, _("已将 %(n)d 条消息标为已读。") % {"n": count})
    return redirect("members:messages")


@require_http_methods(["GET", "POST"])
@login_required
def preferences(request: HttpRequest) -> HttpResponse:
    """Which channels (besides the always-on site message) each category goes out on."""
    if request.method == "POST":
        chosen = selectors.preferences_of(request.user)
        try:
            for category in _categories(request.user):
                for channel in OPTIONAL_CHANNELS:
                    wanted = request.POST.get(f"{category}:{channel.value}") == "on"
                    if wanted != chosen.get((category, channel.value), True):
                        services.preference_set(
                            member=request.user, category=category, channel=channel.value, enabled=wanted
                        )
        except DomainError as exc:
            flash.error(request, exc.message)
        else:
            flash.success(request, _("通知设置已保存。"))
        return redirect("members:preferences")
    chosen = selectors.preferences_of(request.user)
    rows = [
        {
            "key": key,
            "label": label,
            "cells": [
                {"name": f"{key}:{c.value}", "label": c.label, "on": chosen.get((key, c.value), True)}
                for c in OPTIONAL_CHANNELS
            ],
        }
        for key, label in _categories(request.user).items()
    ]
    return render(request, "members/preferences.html", {"rows": rows, "channels": OPTIONAL_CHANNELS})
