"""Names and titles people write: NFC-normalised, without invisible or control characters.

`系统\u200b管理员` (a zero-width space inside) looks exactly like 系统管理员; a right-to-left
override turns `txt.exe` around on screen. Names and titles — member and entity names,
legal representatives, project and notice titles, article titles, consortium members —
are shown to other people as who or what something is, so they may not carry characters
that are invisible or reorder the text. Refused:

- Unicode categories **Cc** (control characters: NUL, tab, newline, …), **Cf** (format
  characters: zero-width space/joiners U+200B–U+200D, word joiner U+2060, BOM U+FEFF, soft
  hyphen, the bidi marks, embeddings, overrides and isolates U+200E/F, U+202A–U+202E,
  U+2066–U+2069, tag characters), **Cs** (lone surrogates), **Zl** / **Zp** (line and
  paragraph separators);
- the variation selectors VS1–VS16 (U+FE00–U+FE0F), the combining grapheme joiner and the
  letters that draw nothing (Hangul fillers, the braille blank, Khmer inherent vowels,
  Mongolian free variation selectors).

Kept: ideographic variation selectors (U+E0100–U+E01EF), which some rare characters of
Chinese personal names need, and private-use characters, which older systems use for such
characters too. Text is NFC-normalised first, so that one name is stored one way.

One rule, used everywhere: `clean_name` in services (raises InvalidInput), `validate_plain_text`
as a Django validator (model fields, form fields), `PlainTextField` for forms, `PlainText` for
API schemas and `PlainTextModel` for models whose admin forms should check it.
"""

from __future__ import annotations

import unicodedata
from typing import Annotated, Any, ClassVar

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from pydantic import AfterValidator

from exchange.core.errors import InvalidInput

_REFUSED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})
_REFUSED_CODEPOINTS = frozenset(
    [
        0x034F, 0x115F, 0x1160, 0x17B4, 0x17B5, 0x2800, 0x3164, 0xFFA0,
        *range(0x180B, 0x1810),  # Mongolian free variation selectors (and U+180E, Cf)
        *range(0xFE00, 0xFE10),  # variation selectors VS1–VS16
    ]
)  # fmt: skip


def forbidden_char(value: str) -> str | None:
    """The first invisible or control character of `value`, or None."""
    for ch in value:
        if ord(ch) in _REFUSED_CODEPOINTS or unicodedata.category(ch) in _REFUSED_CATEGORIES:
            return ch
    return None


def normalize(value: str) -> str:
    """NFC, surrounding whitespace stripped."""
    return unicodedata.normalize("NFC", value).strip()


def refusal_message(label: Any = None) -> str:
    """The Chinese message of a refused name or title (`label`: what the field is)."""
    if label:
        return _("%(label)s含有不可见字符或控制字符（如零宽字符、文字方向控制符），请删除后重新输入。") % {
            "label": label
        }
    return _("含有不可见字符或控制字符（如零宽字符、文字方向控制符），请删除后重新输入。")


def _describe(ch: str) -> str:
    return f"U+{ord(ch):04X}"


def without_forbidden(value: str) -> str:
    """`value` normalised with its refused characters dropped: for text the system composes from
    names and titles (a message subject), where refusing would stop a business step over a
    title stored before this rule existed."""
    text = normalize(value)
    return "".join(ch for ch in text if forbidden_char(ch) is None)


def clean_name(value: str, *, field: str, label: Any = None) -> str:
    """`value` normalised (NFC, stripped); InvalidInput on `field` when it holds a refused character."""
    text = normalize(str(value or ""))
    ch = forbidden_char(text)
    if ch is not None:
        raise InvalidInput(refusal_message(label), field=field, character=_describe(ch))
    return text


def validate_plain_text(value: Any) -> None:
    """Django validator: no invisible or control characters."""
    if isinstance(value, str) and forbidden_char(value) is not None:
        raise ValidationError(refusal_message(), code="invisible_characters")


class PlainTextField(forms.CharField):
    """A form field for a name or title: NFC-normalised, stripped, checked."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.validators.append(validate_plain_text)

    def to_python(self, value: Any) -> Any:
        text = super().to_python(value)
        return unicodedata.normalize("NFC", text) if text else text


def _pydantic_plain_text(value: str) -> str:
    text = unicodedata.normalize("NFC", value)
    if forbidden_char(text) is not None:
        raise ValueError(refusal_message())
    return text


PlainText = Annotated[str, AfterValidator(_pydantic_plain_text)]
"""An API schema's name or title field (`title: PlainText`): NFC, refused characters → 422."""


class PlainTextModel:
    """Mixin for models: `PLAIN_TEXT_FIELDS` are normalised and checked by `full_clean()`
    (admin and model forms), with the other field errors. Services check with `clean_name`."""

    PLAIN_TEXT_FIELDS: ClassVar[tuple[str, ...]] = ()

    def clean_fields(self, exclude: Any = None) -> None:
        errors: dict[str, list[Any]] = {}
        for name in self.PLAIN_TEXT_FIELDS:
            if exclude and name in exclude:
                continue
            value = getattr(self, name, None)
            if isinstance(value, str):
                value = normalize(value)
                setattr(self, name, value)
                if forbidden_char(value) is not None:
                    errors[name] = [ValidationError(refusal_message(), code="invisible_characters")]
        try:
            super().clean_fields(exclude=exclude)  # type: ignore[misc]
        except ValidationError as exc:
            for name, messages in exc.message_dict.items():
                errors.setdefault(name, []).extend(messages)
        if errors:
            raise ValidationError(errors)
