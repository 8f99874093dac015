"""Back office of the bidding app: auctions (read-only, controlled through the services),
bidders and the bid log (read-only), pause/resume/rerun and training drills (竞价演练)."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from import_export.resources import ModelResource, modelresource_factory
from unfold.decorators import action, display
from unfold.widgets import (
    UnfoldAdminDecimalFieldWidget,
    UnfoldAdminIntegerFieldWidget,
    UnfoldAdminSelectWidget,
    UnfoldAdminTextareaWidget,
    UnfoldAdminTextInputWidget,
)

from exchange.bidding import engine, rules, services
from exchange.bidding.models import Auction, AuctionBidder, Bid, Mode, Status
from exchange.bidding.verify import verify_auction
from exchange.core.admin_base import ChineseModelResource, ExchangeModelAdmin, ReadOnlyAdminMixin, pairs_table
from exchange.core.errors import DomainError
from exchange.core.money import format_yuan


class ControlForm(forms.Form):
    ACTIONS = (("pause", _("暂停")), ("resume", _("恢复")), ("rerun", _("作废并重新竞价")))
    operation = forms.ChoiceField(label=_("操作"), choices=ACTIONS, widget=UnfoldAdminSelectWidget)
    reason = forms.CharField(label=_("原因"), max_length=200, widget=UnfoldAdminTextareaWidget(attrs={"rows": 3}))


_MAX = {name: high for name, (_label, _low, high, _words) in services.DRILL_LIMITS.items()}  # checked again there


class DrillForm(forms.Form):
    mode = forms.ChoiceField(
        label=_("竞价方式"), choices=Mode.choices, initial=rules.DYNAMIC, widget=UnfoldAdminSelectWidget
    )
    title = forms.CharField(label=_("标题"), required=False, max_length=200, widget=UnfoldAdminTextInputWidget)
    bidders = forms.IntegerField(
        label=_("演练竞买人数"), min_value=1, max_value=500, initial=10, widget=UnfoldAdminIntegerFieldWidget
    )
    start_price = forms.DecimalField(
        label=_("起始价（元）"), max_digits=18, decimal_places=2, initial=100000, widget=UnfoldAdminDecimalFieldWidget
    )
    increment = forms.DecimalField(
        label=_("加价幅度（元）"), max_digits=18, decimal_places=2, initial=1000, widget=UnfoldAdminDecimalFieldWidget
    )
    start_delay = forms.IntegerField(
        label=_("距开始（秒）"),
        min_value=0,
        max_value=_MAX["start_delay"],
        initial=300,
        widget=UnfoldAdminIntegerFieldWidget,
    )
    duration = forms.IntegerField(
        label=_("竞价时长（秒，多次/一次报价）"),
        min_value=10,
        max_value=_MAX["duration"],
        initial=1800,
        widget=UnfoldAdminIntegerFieldWidget,
    )
    free_seconds = forms.IntegerField(
        label=_("自由报价期（秒，动态报价）"),
        min_value=0,
        max_value=_MAX["free_seconds"],
        initial=600,
        widget=UnfoldAdminIntegerFieldWidget,
    )
    countdown = forms.IntegerField(
        label=_("限时报价倒计时 T（秒）"),
        min_value=5,
        max_value=_MAX["countdown"],
        initial=60,
        widget=UnfoldAdminIntegerFieldWidget,
    )
    window = forms.IntegerField(
        label=_("延时窗口 W（秒）"),
        min_value=0,
        max_value=_MAX["window"],
        required=False,
        widget=UnfoldAdminIntegerFieldWidget,
    )
    extension = forms.IntegerField(
        label=_("延时时长 E（秒）"),
        min_value=0,
        max_value=_MAX["extension"],
        required=False,
        widget=UnfoldAdminIntegerFieldWidget,
    )
    dutch_tick = forms.DecimalField(
        label=_("减价幅度（元）"), max_digits=18, decimal_places=2, initial=1000, widget=UnfoldAdminDecimalFieldWidget
    )
    dutch_interval = forms.IntegerField(
        label=_("减价周期（秒）"),
        min_value=1,
        max_value=_MAX["dutch_interval"],
        initial=30,
        widget=UnfoldAdminIntegerFieldWidget,
    )
    dutch_floor = forms.DecimalField(
        label=_("减价底价（元）"), max_digits=18, decimal_places=2, required=False, widget=UnfoldAdminDecimalFieldWidget
    )
    preemption_seconds = forms.IntegerField(
        label=_("优先购买权行权期（秒，减价）"),
        min_value=1,
        max_value=_MAX["preemption_seconds"],
        required=False,
        widget=UnfoldAdminIntegerFieldWidget,
    )


@admin.register(Auction)
class AuctionAdmin(ExchangeModelAdmin):
    """Auctions are read-only here: every change goes through the engine (pause, resume,
    rerun on the 控制 page; drills from the list's 创建演练)."""

    list_display = [
        "id", "title", "mode", "status_badge", "is_practice", "current_price", "leader_no",
        "seq", "ends_at", "result", "control_link",
    ]  # fmt: skip
    list_filter = ["mode", "status", "is_practice", "result"]
    search_fields = ["title", "project_code"]
    list_select_related = ["leader"]
    actions_detail = ["control"]
    actions_list = ["drill"]
    exclude = ["leader_max", "increment_bands"]  # the proxy leader's maximum stays hidden, even from staff pages
    readonly_fields = [
        *(f.name for f in Auction._meta.fields if f.name not in ("leader_max", "increment_bands")),
        "increment_bands_display",
        "verification",
    ]
    export_display = {"increment_bands": "increment_bands_display"}

    @display(description=_("阶梯加价幅度"))
    def increment_bands_display(self, obj: Auction) -> str:
        """[[from price, increment], …] as "自 ¥x 起：每次加价 ¥y" rows; none → "—"."""

        return pairs_table(
            (_("自 %(p)s 起") % {"p": format_yuan(Decimal(str(start)))}, format_yuan(Decimal(str(step))))
            for start, step in (obj.increment_bands or [])
        )

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_control_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return bool(request.user.has_perm("bidding.pause_auction") or request.user.has_perm("bidding.rerun_auction"))

    def has_drill_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return bool(request.user.has_perm("bidding.create_drill"))

    @display(
        description=_("状态"),
        label={
            Status.SCHEDULED: "info",
            Status.RUNNING: "success",
            Status.PAUSED: "warning",
            Status.CLOSED: "primary",
            Status.CANCELLED: "danger",
        },
    )
    def status_badge(self, obj: Auction) -> Any:
        return obj.status, obj.get_status_display()

    @display(description=_("领先竞买号"))
    def leader_no(self, obj: Auction) -> str:
        return obj.leader.bidder_no if obj.leader else "—"

    @display(description=_("操作"))
    def control_link(self, obj: Auction) -> Any:
        url = reverse("admin:bidding_auction_control", args=[obj.pk])
        return format_html('<a class="font-semibold text-primary-600" href="{}">{}</a>', url, _("控制"))

    @display(description=_("出价记录校验"))
    def verification(self, obj: Auction) -> str:
        report = verify_auction(obj.pk)
        return (
            str(_("通过（%(n)s 条，链头 %(h)s）") % {"n": report.bids, "h": report.head_hash[:16] or "—"})
            if report.ok
            else "; ".join(report.problems)
        )

    @action(description=_("控制"), url_path="control", permissions=["control"])
    def control(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """Pause / resume / rerun with a reason (URL name admin:bidding_auction_control)."""
        if not object_id.isdigit():
            raise Http404
        auction = get_object_or_404(Auction.objects.select_related("leader", "winner"), pk=int(object_id))
        form = ControlForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            op, reason = form.cleaned_data["operation"], form.cleaned_data["reason"]
            needed = "bidding.rerun_auction" if op == "rerun" else "bidding.pause_auction"
            if not request.user.has_perm(needed):
                raise PermissionDenied
            try:
                if op == "pause":
                    engine.auction_pause(auction_id=auction.pk, actor=request.user, reason=reason)
                elif op == "resume":
                    engine.auction_resume(auction_id=auction.pk, actor=request.user, reason=reason)
                else:
                    new = engine.auction_rerun(auction_id=auction.pk, actor=request.user, reason=reason)
                    self.message_user(
                        request, _("已作废本场并创建新竞价会 #%(pk)s。") % {"pk": new.pk}, messages.SUCCESS
                    )
                    return HttpResponseRedirect(reverse("admin:bidding_auction_change", args=[new.pk]))
                self.message_user(request, _("操作已完成。"), messages.SUCCESS)
                return HttpResponseRedirect(reverse("admin:bidding_auction_change", args=[auction.pk]))
            except DomainError as exc:
                self.message_user(request, exc.message, messages.ERROR)
        context = {
            **self.admin_site.each_context(request),
            "title": _("竞价控制：%(title)s") % {"title": auction.title},
            "opts": self.model._meta,
            "auction": auction,
            "form": form,
        }
        return TemplateResponse(request, "admin/bidding/auction_form_page.html", context)

    @action(description=_("创建演练"), url_path="drill", permissions=["drill"])
    def drill(self, request: HttpRequest) -> HttpResponse:
        """A training drill for a training day: the invited accounts are shown once."""
        form = DrillForm(request.POST or None)
        result = None
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                spec = services.drill_spec(
                    mode=data["mode"],
                    title=data["title"],
                    start_price=str(data["start_price"]),
                    increment=str(data["increment"]),
                    duration=data["duration"],
                    free_seconds=data["free_seconds"],
                    countdown=data["countdown"],
                    window=data["window"],
                    extension=data["extension"],
                    dutch_tick=str(data["dutch_tick"]),
                    dutch_interval=data["dutch_interval"],
                    dutch_floor=str(data["dutch_floor"]) if data["dutch_floor"] else None,
                    start_delay=data["start_delay"],
                    preemption_seconds=data["preemption_seconds"],
                )
                result = services.drill_create(spec=spec, bidders=data["bidders"], actor=request.user)
                self.message_user(
                    request, _("已创建竞价演练 #%(pk)s。") % {"pk": result["auction_id"]}, messages.SUCCESS
                )
            except DomainError as exc:
                self.message_user(request, exc.message, messages.ERROR)
        context = {
            **self.admin_site.each_context(request),
            "title": _("创建竞价演练"),
            "opts": self.model._meta,
            "form": form,
            "result": result,
            "result_json": json.dumps(result, ensure_ascii=False, indent=2) if result else "",
        }
        return TemplateResponse(request, "admin/bidding/auction_form_page.html", context)


@admin.register(AuctionBidder)
class AuctionBidderAdmin(ReadOnlyAdminMixin, ExchangeModelAdmin):
    """Bidders of each auction: staff see who is behind a 竞买号; bidders never do."""

    list_display = ["bidder_no", "auction", "user", "kind", "rank", "qualified", "created_at"]
    list_filter = ["kind", "qualified"]
    search_fields = ["bidder_no", "user__phone", "user__name", "user__member_no", "auction__title"]
    list_select_related = ["auction", "user"]
    exclude = ["sealed_slot"]

    def get_export_resource_classes(self, request: HttpRequest) -> list[type[ModelResource]]:
        """The export without the sealed slot (bidding/sealed.py): two exports would tell who quoted."""
        meta = {"exclude": ["sealed_slot"], "use_natural_foreign_keys": False}
        return [modelresource_factory(AuctionBidder, resource_class=ChineseModelResource, meta_options=meta)]


@admin.register(Bid)
class BidAdmin(ReadOnlyAdminMixin, ExchangeModelAdmin):
    """The bid log: append-only and hash-chained, never edited."""

    list_display = ["auction", "seq", "bidder_no", "amount", "kind", "accepted_at", "short_hash"]
    list_filter = ["kind"]
    search_fields = ["auction__title", "bidder_no", "hash"]
    list_select_related = ["auction"]
    exclude = ["max_amount"]

    @display(description=_("哈希"))
    def short_hash(self, obj: Bid) -> str:
        return obj.hash[:16]
