"""Model fields the apps share."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeVar

from django.db import models

_ST = TypeVar("_ST")  # what the field accepts, what it gives back (django-stubs fills them in,
_GT = TypeVar("_GT")  # Optional for a nullable column, as for any DecimalField)

if TYPE_CHECKING:
    _DecimalBase = models.DecimalField[_ST, _GT]
else:
    _DecimalBase = models.DecimalField


class MoneyField(_DecimalBase[_ST, _GT]):
    """A money column: Decimal yuan to the fen, at most 16 integer digits (`DecimalField(18, 2)`,
    what `core.money` checks amounts against). The one way a model declares money; migrations see
    a plain DecimalField, so adopting it changes no schema."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max_digits", 18)
        kwargs.setdefault("decimal_places", 2)
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> Any:
        name, _path, args, kwargs = super().deconstruct()
        return name, "django.db.models.DecimalField", args, kwargs
