"""Forms of the seller center and staff pages. They parse; services decide."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from exchange.core.models import Region
from exchange.core.text import PlainTextField
from exchange.core.widgets import MoneyNumberInput
from exchange.listings import categories
from exchange.listings.models import Attachment, Project, ProjectReview, TradingMethod

BASE_FIELDS = (
    "title", "description", "region", "valuation", "valuation_date", "floor_price", "deposit_amount",
    "trading_method", "state_owned", "buyer_conditions", "payment_terms", "pre_disclosure", "pre_disclosure_wd", "disclosure_wd",
    "requested_start", "allow_extension", "extension_wd", "max_extension_cycles",
)  # fmt: skip

_date = forms.DateInput(attrs={"type": "date"})


def region_choices() -> list[tuple[str, str]]:
    province = Region.objects.filter(level=1, name=settings.EXCHANGE_PROVINCE).first()
    if province is None:
        return []
    cities = Region.objects.filter(parent=province).order_by("code")
    counties = Region.objects.filter(parent__in=cities, level=3).order_by("code")
    out: list[tuple[str, str]] = []
    by_city: dict[int, list[Region]] = {}
    for county in counties:
        by_city.setdefault(county.parent_id or 0, []).append(county)
    for city in cities:
        out.append((str(city.pk), city.full_name))
        out.extend((str(c.pk), "\u3000" + c.name) for c in by_city.get(city.pk, []))
    return out


class ProjectForm(forms.Form):
    """The seller's application: common fields plus the category's own attributes."""

    title = PlainTextField(label=_("项目名称"), max_length=120)
    description = forms.CharField(label=_("项目介绍"), required=False, widget=forms.Textarea(attrs={"rows": 5}))
    region = forms.TypedChoiceField(label=_("标的所在地"), coerce=int)
    valuation = forms.DecimalField(
        label=_("评估价（元）"), max_digits=18, decimal_places=2, min_value=0, widget=MoneyNumberInput
    )
    valuation_date = forms.DateField(label=_("评估基准日"), required=False, widget=_date)
    floor_price = forms.DecimalField(
        label=_("转让底价（元）"),
        help_text=_("首次挂牌不得低于评估价"),
        max_digits=18,
        decimal_places=2,
        min_value=0,
        widget=MoneyNumberInput,
    )
    deposit_amount = forms.DecimalField(
        label=_("交易保证金（元）"), max_digits=18, decimal_places=2, min_value=0, widget=MoneyNumberInput
    )
    trading_method = forms.ChoiceField(label=_("交易方式"), choices=TradingMethod.choices)
    state_owned = forms.BooleanField(
        label=_("企业国有资产"),
        required=False,
        help_text=_("国有企业的产权或资产转让：成交公告公示评估结果、转让底价和交易价格，公示期不少于5个工作日"),
    )
    buyer_conditions = forms.CharField(label=_("受让方资格条件"), widget=forms.Textarea(attrs={"rows": 3}))
    payment_terms = forms.CharField(label=_("价款支付方式"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    pre_disclosure = forms.BooleanField(label=_("进行预披露"), required=False)
    pre_disclosure_wd = forms.IntegerField(label=_("预披露期（工作日）"), min_value=0, max_value=250, initial=0)
    disclosure_wd = forms.IntegerField(label=_("正式披露期（工作日）"), min_value=1, max_value=250)
    requested_start = forms.DateField(
        label=_("申请披露起始日"),
        required=False,
        widget=_date,
        help_text=_("须为工作日；不填则审核通过后的下一个工作日"),
    )
    allow_extension = forms.BooleanField(label=_("未征集到意向受让方时延长挂牌"), required=False, initial=True)
    extension_wd = forms.IntegerField(label=_("每周期延牌工作日"), min_value=1, max_value=250, initial=5)
    max_extension_cycles = forms.IntegerField(label=_("最多延牌周期数"), min_value=0, max_value=50, initial=3)

    def __init__(self, *args: Any, category: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.category = category
        self.fields["region"].choices = [("", "—"), *region_choices()]  # type: ignore[attr-defined]
        for attr in categories.spec(category).attrs:
            label = f"{attr.label}（{attr.unit}）" if attr.unit else attr.label
            name = f"attr_{attr.key}"
            if attr.type == categories.BOOL:
                self.fields[name] = forms.TypedChoiceField(
                    label=label, choices=[("", "—"), ("true", _("是")), ("false", _("否"))], required=False
                )
            elif attr.type == categories.CHOICE:
                self.fields[name] = forms.ChoiceField(label=label, choices=[("", "—"), *attr.choices], required=False)
            elif attr.type == categories.DATE:
                self.fields[name] = forms.DateField(label=label, required=False, widget=_date)
            elif attr.type in (categories.INT, categories.DECIMAL):
                self.fields[name] = forms.CharField(
                    label=label, required=False, widget=forms.TextInput(attrs={"inputmode": "decimal"})
                )
            else:
                self.fields[name] = forms.CharField(label=label, required=False, max_length=200)
            if attr.required:
                self.fields[name].help_text = _("提交审核时必填")

    @property
    def attribute_fields(self) -> list[Any]:
        return [self[name] for name in self.fields if name.startswith("attr_")]

    @property
    def base_fields_bound(self) -> list[Any]:
        return [self[name] for name in BASE_FIELDS]

    def service_data(self) -> dict[str, Any]:
        data = {name: self.cleaned_data[name] for name in BASE_FIELDS if name != "region"}
        data["region_id"] = self.cleaned_data["region"]
        attrs = {}
        for attr in categories.spec(self.category).attrs:
            value = self.cleaned_data.get(f"attr_{attr.key}")
            if value not in (None, ""):
                attrs[attr.key] = value
        data["attributes"] = attrs
        return data

    @classmethod
    def initial_from(cls, project: Project) -> dict[str, Any]:
        initial = {name: getattr(project, name) for name in BASE_FIELDS if name != "region"}
        initial["region"] = project.region_id
        for key, value in project.attributes.items():
            initial[f"attr_{key}"] = ("true" if value else "false") if isinstance(value, bool) else value
        return initial


class AttachmentForm(forms.Form):
    kind = forms.ChoiceField(label=_("附件类型"), choices=Attachment.Kind.choices)
    file = forms.FileField(label=_("文件"))
    caption = forms.CharField(label=_("说明"), required=False, max_length=100)


class ReviewForm(forms.Form):
    decision = forms.ChoiceField(label=_("审核意见"), choices=ProjectReview.Decision.choices, widget=forms.RadioSelect)
    comment = forms.CharField(label=_("说明"), required=False, widget=forms.Textarea(attrs={"rows": 3}))


class QuestionForm(forms.Form):
    body = forms.CharField(label=_("我要提问"), max_length=500, widget=forms.Textarea(attrs={"rows": 3}))


class AnswerForm(forms.Form):
    body = forms.CharField(label=_("回答"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))
