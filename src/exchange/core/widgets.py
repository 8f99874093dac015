"""Form widgets shared by the apps."""

from __future__ import annotations

from typing import Any

from django import forms

# What marks an amount input: static/js/format.js writes under it, live, the amount as the
# platform prints it, in 万 and in 大写 (¥2,350,000.00 · ¥235万 · 贰佰叁拾伍万元整).
MONEY_ATTRS = {"inputmode": "decimal", "autocomplete": "off", "data-money-preview": ""}


class MoneyInput(forms.TextInput):
    """An amount in yuan typed as text (read with core.money.parse_money), with the preview."""

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__({**MONEY_ATTRS, **(attrs or {})})


class MoneyNumberInput(forms.NumberInput):
    """An amount in yuan for a forms.DecimalField (a number input, to the fen), with the preview."""

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__({**MONEY_ATTRS, "step": "0.01", **(attrs or {})})
