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
