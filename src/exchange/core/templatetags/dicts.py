"""`entries`: a dict's (key, value) pairs for `{% for k, v in d|entries %}`.

`{% for k, v in d.items %}` looks up the *key* "items" first, so a dict that happens to hold
such a key (an audit entry of a model with an `items` relation) breaks the loop.
"""

from __future__ import annotations

from typing import Any

from django import template

register = template.Library()


@register.filter
def entries(value: Any) -> list[tuple[Any, Any]]:
    return list(value.items()) if isinstance(value, dict) else []


@register.filter
def audit_action(code: Any) -> str:
    """An audit entry's business action in words (exchange.core.audit_labels)."""
    from exchange.core.audit_labels import action_label

    return action_label(str(code))


@register.filter
def audit_key(key: Any) -> str:
    from exchange.core.audit_labels import key_label

    return key_label(str(key))


@register.filter
def audit_value(value: Any) -> Any:
    from exchange.core.audit_labels import value_label

    return value_label(value)


@register.filter
def audit_changes(entry: Any) -> list[tuple[str, Any, Any]]:
    """(field in words, from, to) of an audit entry (exchange.core.audit_labels.changes)."""
    from exchange.core.audit_labels import changes

    return changes(entry)


@register.filter
def audit_data(entry: Any) -> list[tuple[str, Any]]:
    """(key in words, value) of an audit entry's business data."""
    from exchange.core.audit_labels import data

    return data(entry)
