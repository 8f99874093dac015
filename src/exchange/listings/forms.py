"""Forms of the seller center and staff pages. They parse; services decide."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy as _

from exchange.core.errors import InvalidInput
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
            self.fields[f"attr_{attr.key}"] = attribute_field(attr)

    def clean(self) -> dict[str, Any]:
        """Every attribute checked at once with the spec's own rule (`categories.clean_value`), so
        that a seller sees all of them; the services check them again with the cross-field rules."""
        data = super().clean() or {}
        for attr in categories.spec(self.category).attrs:
            name = f"attr_{attr.key}"
            value = data.get(name)
            if value in (None, "", []) or name in self.errors:
                continue
            try:
                categories.clean_value(attr, value)
            except InvalidInput as exc:
                self.add_error(name, exc.message)
        return data

    @property
    def attribute_fields(self) -> list[Any]:
        return [self[name] for name in self.fields if name.startswith("attr_")]

    @property
    def attribute_sections(self) -> list[tuple[str, str, list[Any]]]:
        """(section key, title, bound fields) of the category's attributes, in page order."""
        cat = categories.spec(self.category)
        title = {categories.MAIN: _("%(c)s标的信息") % {"c": categories.Category(self.category).label}}
        return [(key, title.get(key) or cat.section_title(key), [self[f"attr_{a.key}"] for a in attrs])
                for key, attrs in cat.sections()]  # fmt: skip

    @property
    def error_summary(self) -> list[tuple[str, str]]:
        """(input id, message) of every field error, the field named where the message does not."""
        out = []
        for name, errors in self.errors.items():
            if name not in self.fields:
                continue
            bound = self[name]
            label = str(bound.label).split("（")[0]
            for error in errors:
                message = str(error)
                out.append((bound.id_for_label, message if message.startswith(label) else f"{label}：{message}"))
        return out

    @property
    def base_fields_bound(self) -> list[Any]:
        return [self[name] for name in BASE_FIELDS]

    def service_data(self) -> dict[str, Any]:
        data = {name: self.cleaned_data[name] for name in BASE_FIELDS if name != "region"}
        data["region_id"] = self.cleaned_data["region"]
        attrs = {}
        for attr in categories.spec(self.category).attrs:
            value = self.cleaned_data.get(f"attr_{attr.key}")
            if value not in (None, "", []):
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


def attribute_field(attr: categories.AttrSpec) -> forms.Field:
    """The form field of one category attribute. Fields only parse: `categories.clean_attributes`
    (called by the services) validates, so the form, the API and the import share one rule."""
    label = attr.form_label
    field: forms.Field
    if attr.type == categories.BOOL:
        field = forms.TypedChoiceField(
            label=label, choices=[("", "—"), ("true", _("是")), ("false", _("否"))], required=False
        )
    elif attr.type == categories.CHOICE:
        field = forms.ChoiceField(label=label, choices=[("", "—"), *attr.choices], required=False)
    elif attr.type == categories.DATE:
        field = forms.DateField(label=label, required=False, widget=_date)
    elif attr.type in (categories.INT, categories.DECIMAL, categories.MONEY):
        field = forms.CharField(
            label=label, required=False, max_length=40, widget=forms.TextInput(attrs={"inputmode": "decimal"})
        )
    elif attr.type == categories.PHONE:
        field = forms.CharField(
            label=label,
            required=False,
            max_length=30,
            widget=forms.TextInput(attrs={"type": "tel", "inputmode": "tel"}),
        )
    elif attr.type == categories.TABLE:
        field = TableField(attr, label=label, required=False)
    elif attr.multiline:
        field = forms.CharField(
            label=label, required=False, max_length=attr.max_length, widget=forms.Textarea(attrs={"rows": 3})
        )
    else:
        field = forms.CharField(label=label, required=False, max_length=attr.max_length)
    notes = [str(attr.help)] if attr.help else []
    if attr.required:
        notes.append(str(_("提交审核时必填")))
    field.help_text = " ".join(notes)
    return field


class TableWidget(forms.Widget):
    """Rows of inputs, one column per table column (股东名称 | 持股比例), posted as
    `<name>-<row>-<column>`. Shows the filled rows plus two empty ones (at least four, at
    most the table's limit): no script needed; after saving, the form offers more rows."""

    def __init__(self, attr: categories.AttrSpec) -> None:
        super().__init__()
        self.attr = attr

    def value_from_datadict(self, data: Any, files: Any, name: str) -> list[dict[str, str]]:
        rows = []
        for index in range(self.attr.max_rows):
            row = {c.key: str(data.get(f"{name}-{index}-{c.key}", "")).strip() for c in self.attr.columns}
            if any(row.values()):
                rows.append(row)
        return rows

    def value_omitted_from_data(self, data: Any, files: Any, name: str) -> bool:
        return not any(key.startswith(f"{name}-") for key in data)

    def id_for_label(self, id_: str) -> str:
        return f"{id_}-0-{self.attr.columns[0].key}" if id_ else ""

    def render(self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None) -> SafeString:
        rows = [row for row in (value or []) if isinstance(row, dict)]
        count = min(self.attr.max_rows, max(len(rows) + 2, 4))
        base_id = (attrs or {}).get("id") or f"id_{name}"
        head = format_html_join("", '<th scope="col">{}</th>', ((c.form_label,) for c in self.attr.columns))
        body = []
        for index in range(count):
            row = rows[index] if index < len(rows) else {}
            cells = format_html_join(
                "",
                '<td><input id="{}" name="{}" value="{}" aria-label="{}" maxlength="{}"{}></td>',
                (
                    (
                        f"{base_id}-{index}-{c.key}",
                        f"{name}-{index}-{c.key}",
                        row.get(c.key, ""),
                        _("第%(n)s行 %(column)s") % {"n": index + 1, "column": c.label},
                        c.max_length if c.type == categories.TEXT else 20,
                        mark_safe(' inputmode="decimal"') if c.type != categories.TEXT else "",
                    )
                    for c in self.attr.columns
                ),
            )
            body.append(format_html('<tr><th scope="row">{}</th>{}</tr>', index + 1, cells))
        return format_html(
            '<div class="lst-table-wrap"><table class="lst-input-table"><thead><tr><th scope="col">{}</th>{}</tr>'
            "</thead><tbody>{}</tbody></table></div>",
            _("序号"),
            head,
            mark_safe("".join(body)),
        )


class TableField(forms.Field):
    """A table attribute (股权结构) as one form field: a list of row dicts."""

    def __init__(self, attr: categories.AttrSpec, **kwargs: Any) -> None:
        super().__init__(widget=TableWidget(attr), **kwargs)

    def to_python(self, value: Any) -> list[dict[str, str]]:
        return [row for row in value if isinstance(row, dict)] if isinstance(value, list) else []


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
