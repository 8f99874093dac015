"""Page forms of the brokers app. They parse and show errors; the rules live in services."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from exchange.core.categories import Category


class BrokerApplyForm(forms.Form):
    firm_name = forms.CharField(label=_("机构名称"), max_length=100, help_text=_("须与实名认证的单位名称一致"))
    uscc = forms.CharField(label=_("统一社会信用代码"), max_length=18)
    licence = forms.FileField(label=_("营业执照"), help_text=_("PDF、JPG 或 PNG，不超过 10 MB"))
    business_document = forms.FileField(
        label=_("经纪业务资质文件"), help_text=_("产权经纪资质、备案或授权文件；PDF、JPG 或 PNG")
    )
    scope_note = forms.CharField(
        label=_("业务范围说明"), max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )


class MandateRequestForm(forms.Form):
    seller = forms.CharField(
        label=_("委托人手机号或会员编号"),
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    subject = forms.CharField(
        label=_("委托事项"), max_length=200, help_text=_("拟挂牌转让的标的及委托内容，委托人确认时可见")
    )
    category = forms.ChoiceField(label=_("交易品种"), choices=[("", _("不限品种")), *Category.choices], required=False)
    max_projects = forms.IntegerField(label=_("可代为挂牌项目数"), min_value=1, initial=1)
    may_sign = forms.BooleanField(label=_("委托人授权代为签署产权交易合同"), required=False)
    starts_on = forms.DateField(
        label=_("委托起始日"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    ends_on = forms.DateField(label=_("委托截止日"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("原因"), max_length=200, required=False, widget=forms.Textarea(attrs={"rows": 2}))
