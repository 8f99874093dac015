"""The audit trail: who did what, when, from what to what.

One mechanism for every domain model (django-auditlog): each registered model's
create/update/delete writes a `LogEntry` with the field changes as `{field: [from, to]}`
and the actor (taken from the request by `AuditlogMiddleware`, or from `action()`).
Services wrap their writes in `audit.action(actor, "verification.approve", reason=...)`
so the entry also names the business action and its reason.

Background processes (worker, clock) act as `actor=None` and name themselves in the data.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator
from typing import Any

from auditlog.context import auditlog_value, set_extra_data
from auditlog.models import LogEntry
from auditlog.registry import auditlog
from django.apps import AppConfig
from django.db import models


def register_models(
    app_config: AppConfig, *, exclude: Iterable[str] = (), exclude_fields: dict[str, list[str]] | None = None
) -> None:
    """Register every concrete model of an app for the audit trail (called from `ready()`)."""
    exclude_fields = exclude_fields or {}
    for model in app_config.get_models():
        name = model._meta.model_name or ""
        if name in exclude or auditlog.contains(model):
            continue
        auditlog.register(model, exclude_fields=exclude_fields.get(name, []))


@contextlib.contextmanager
def action(actor: Any, name: str, **data: Any) -> Iterator[None]:
    """Attribute every audited write inside the block to `actor` and business action `name`.

    Restores the surrounding context (e.g. the request's actor) afterwards.
    """
    previous = auditlog_value.get(None)
    user = actor if getattr(actor, "is_authenticated", False) else None
    payload = {"action": name, **{k: _jsonable(v) for k, v in data.items()}}
    try:
        with set_extra_data({"actor": user, "additional_data": payload}):
            yield
    finally:
        if previous is not None:
            auditlog_value.set(previous)


def event(actor: Any, name: str, obj: models.Model, *, deleted: bool = False, **data: Any) -> LogEntry:
    """Record a business event on `obj` whose model is not audited field by field (an API
    token, whose digest must not be copied into the trail): one entry with the actor, the
    action `name` and `data`; `deleted` marks it as a deletion (e.g. a revoked token)."""
    user = actor if getattr(actor, "is_authenticated", False) else None
    return LogEntry.objects.log_create(
        obj,
        force_log=True,
        action=LogEntry.Action.DELETE if deleted else LogEntry.Action.UPDATE,
        changes={},
        actor=user,
        serialized_data=None,
        additional_data={"action": name, **{k: _jsonable(v) for k, v in data.items()}},
    )


def history(obj: models.Model) -> models.QuerySet[LogEntry]:
    """Audit entries of one object, newest first."""
    return LogEntry.objects.get_for_object(obj).select_related("actor").order_by("-timestamp")


def _jsonable(value: Any) -> Any:
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return str(value)
