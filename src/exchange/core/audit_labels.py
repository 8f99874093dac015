"""The audit trail in words: business actions ("application.review" → "受让申请 · 审核"), the
keys of their data and the recorded values, for the back office's history pages.

Actions are dotted codes chosen by the services (`audit.action(actor, "project.attachment.add")`);
each part is named here once, so a new action of known parts reads without a new entry. An
unknown part is shown as it is.
"""

from __future__ import annotations

import ast
import contextlib
import functools
import json
from typing import Any

from django.apps import apps
from django.utils.translation import gettext_lazy as _

from exchange.core import registry


def app_labels() -> frozenset[str]:
    """Our apps (the registry's and core): their fields' verbose names and choices name what
    the audit trail records."""
    return frozenset({"core", *(config.label for config in registry.exchange_apps())})


PARTS: dict[str, Any] = {
    # what an action is about
    "account": _("账户"),
    "application": _("受让申请"),
    "attachment": _("附件"),
    "auction": _("竞价会"),
    "batch": _("批次"),
    "blacklist": _("失信名单"),
    "broker": _("经纪会员"),
    "certificate": _("交易凭证"),
    "change": _("变更"),
    "contract": _("合同"),
    "deal": _("成交"),
    "delivery": _("通知发送"),
    "deposit": _("保证金"),
    "mandate": _("挂牌委托"),
    "member": _("会员"),
    "notice": _("公告"),
    "payment_batch": _("代发批次"),
    "payment_item": _("付款明细"),
    "preference": _("通知设置"),
    "price": _("价款"),
    "price_plan": _("价款支付计划"),
    "project": _("项目"),
    "question": _("提问"),
    "statement": _("对账单"),
    "statement_line": _("银行流水"),
    "trading": _("交易组织"),
    "trading_terms": _("交易规则"),
    "verification": _("实名认证"),
    # what was done
    "accept": _("接受"),
    "add": _("添加"),
    "advance": _("推进"),
    "answer": _("回答"),
    "apply": _("申请"),
    "approve": _("通过"),
    "approved": _("已审批"),
    "ask": _("提问"),
    "auction_result": _("竞价结果"),
    "bidders_admit": _("确认竞买人"),
    "cancel": _("撤销"),
    "cancelled": _("已撤销"),
    "clarification": _("澄清"),
    "close": _("结束"),
    "completed": _("已完成"),
    "confirm": _("确认"),
    "confirmed": _("已确认"),
    "create": _("创建"),
    "dates_recompute": _("重算日期"),
    "decline": _("拒绝"),
    "default": _("违约（悔拍）"),
    "defaulted": _("违约"),
    "delete": _("删除"),
    "deposit_confirmed": _("保证金到账"),
    "exported": _("已导出"),
    "extend": _("延牌"),
    "file_project": _("委托挂牌"),
    "follow": _("关注"),
    "funds_released": _("价款已划转"),
    "import": _("导入"),
    "instruct": _("交纳通知"),
    "issue": _("出具"),
    "lapse": _("逾期失效"),
    "lift": _("解除"),
    "matched": _("已匹配"),
    "moderate": _("审核"),
    "open": _("开始"),
    "outcome": _("披露期满处理"),
    "paid": _("已付清"),
    "pause": _("暂停"),
    "prepare": _("制单"),
    "propose": _("申请"),
    "publish": _("发布"),
    "qa": _("答疑"),
    "refund": _("退还"),
    "refund_schedule": _("安排退还"),
    "register": _("注册"),
    "reject": _("驳回"),
    "release_scheduled": _("安排划转"),
    "released": _("已划转"),
    "relist": _("重新挂牌"),
    "request": _("请求"),
    "rerun": _("重新竞价"),
    "resend": _("重新发送"),
    "resolved": _("人工匹配"),
    "result": _("银行回执"),
    "resume": _("恢复"),
    "return": _("退回"),
    "returned": _("已退回"),
    "review": _("审核"),
    "revoke": _("撤销"),
    "seller_opinion": _("转让方意见"),
    "sent": _("已发送"),
    "set": _("设置"),
    "sign": _("签署"),
    "statement_match": _("按流水入账"),
    "submit": _("提交"),
    "suspend": _("中止"),
    "terminate": _("终结"),
    "terminated_close": _("终结后关闭申请"),
    "trade": _("交易状态"),
    "update": _("修改"),
    "upload": _("上传"),
    "upload_confirm": _("确认导入"),
    "upload_discard": _("放弃导入"),
    "upload_expire": _("上传过期"),
    "withdraw": _("撤回"),
}

KEYS: dict[str, Any] = {
    "amount": _("金额"),
    "practice": _("竞价演练"),
    "batch": _("批次"),
    "count": _("数量"),
    "decision": _("决定"),
    "field": _("字段"),
    "file": _("文件"),
    "from": _("原状态"),
    "instruction": _("保证金记录"),
    "items": _("笔数"),
    "kind": _("类型"),
    "note": _("说明"),
    "plan": _("价款支付计划"),
    "project": _("项目"),
    "reason": _("原因"),
    "reasons": _("理由"),
    "refund": _("退款"),
    "statement": _("导入记录"),
    "status": _("状态"),
    "to": _("变为"),
}

VALUES: dict[str, Any] = {"None": "—", "": "—", "True": _("是"), "False": _("否"), "[]": "—", "{}": "—"}


@functools.cache
def _field_names() -> dict[str, Any]:
    """Field name → verbose name over our models (a reverse relation: the related model's
    plural name); the first model that has the name wins."""
    out: dict[str, Any] = {}
    ours = app_labels()
    for model in apps.get_models():
        if model._meta.app_label not in ours:
            continue
        for field in model._meta.get_fields():
            name = getattr(field, "verbose_name", None)
            related: Any = field.related_model
            if name is None and field.is_relation and related is not None and related != "self":
                name = related._meta.verbose_name_plural
            if name is not None:
                out.setdefault(field.name, name)
    return out


@functools.cache
def _codes() -> dict[str, Any]:
    """Code → label of every choice of our models' fields, and of what the apps declare
    (`audit_codes`: trading's material kinds)."""
    out: dict[str, Any] = registry.audit_codes()
    ours = app_labels()
    for model in apps.get_models():
        if model._meta.app_label not in ours:
            continue
        for field in model._meta.get_fields():
            for value, label in getattr(field, "flatchoices", None) or []:
                if isinstance(value, str) and value:
                    out.setdefault(value, label)
    return out


def action_label(code: str) -> str:
    """ "project.attachment.add" → "项目 · 附件 · 添加"."""
    return " · ".join(str(PARTS.get(part, part)) for part in str(code or "").split(".") if part)


def field_label(model: Any, name: str) -> str:
    """A field of `model` (or, failing that, of any of our models) by its Chinese name."""
    try:
        field = model._meta.get_field(name) if model is not None else None
    except Exception:  # FieldDoesNotExist: a field since removed
        field = None
    label = getattr(field, "verbose_name", None)
    if label is None and field is not None and field.is_relation and field.related_model is not None:
        label = field.related_model._meta.verbose_name_plural
    return str(label if label is not None else key_label(name))


def key_label(key: str) -> str:
    return str(KEYS.get(key) or _field_names().get(key) or PARTS.get(key, key))


def value_label(value: Any) -> Any:
    """A recorded value as read: None, True, False and empty lists as words; codes (a status,
    decision="qualify", a material kind) by their labels; lists item by item."""
    if isinstance(value, str) and value[:1] in "[({" and value[-1:] in "])}":
        with contextlib.suppress(ValueError, SyntaxError):
            value = json.loads(value) if '"' in value else ast.literal_eval(value)
    if isinstance(value, list | tuple):
        return "、".join(str(value_label(v)) for v in value) or "—"
    if isinstance(value, dict):  # a JSON field: its keys named like fields
        return "；".join(f"{key_label(str(k))}：{value_label(v)}" for k, v in value.items()) or "—"
    text = str(value)
    if text in VALUES:
        return VALUES[text]
    return PARTS.get(text) or _codes().get(text) or value


def changes(entry: Any) -> list[tuple[str, Any, Any]]:
    """An audit entry's field changes: (field in words, from, to)."""
    model = _model_of(entry)
    try:
        shown = entry.changes_display_dict
    except Exception:  # a model that no longer exists
        shown = {}
    out = []
    for name, values in (getattr(entry, "changes_dict", None) or shown or {}).items():
        if _is_reverse(model, name):  # auditlog records a reverse relation as "app.Model.None"
            continue
        label = field_label(model, name)
        if isinstance(values, dict):  # many-to-many: {"type": "m2m", "objects": […]}
            out.append((label, "", value_label(values.get("objects", []))))
            continue
        pair = values
        if not _is_json(model, name):  # choices and dates as auditlog shows them; JSON as recorded
            for key in (name, str(_field_names().get(name, ""))):
                if key in shown:
                    pair = shown[key]
        old, new = [*pair, "", ""][:2] if isinstance(pair, list | tuple) else ("", pair)
        if name == "password":
            old, new = "***", "***"
        out.append((label, value_label(old), value_label(new)))
    return out


def _is_reverse(model: Any, name: str) -> bool:
    try:
        field = model._meta.get_field(name) if model is not None else None
    except Exception:  # FieldDoesNotExist
        return False
    return bool(field is not None and field.auto_created and not field.concrete)


def data(entry: Any) -> list[tuple[str, Any]]:
    """The business data of an audit entry (what `audit.action` recorded besides the action),
    keys named like the entry's own model's fields."""
    model = _model_of(entry)
    extra = entry.additional_data if isinstance(entry.additional_data, dict) else {}
    return [(_data_key(model, k), value_label(v)) for k, v in extra.items() if k != "action"]


def _data_key(model: Any, key: str) -> str:
    if key in KEYS:
        return str(KEYS[key])
    return field_label(model, key)


def _is_json(model: Any, name: str) -> bool:
    from django.db.models import JSONField

    try:
        return isinstance(model._meta.get_field(name), JSONField) if model is not None else False
    except Exception:  # FieldDoesNotExist
        return False


def _model_of(entry: Any) -> Any:
    content_type = getattr(entry, "content_type", None) if getattr(entry, "content_type_id", None) else None
    return content_type.model_class() if content_type is not None else None
