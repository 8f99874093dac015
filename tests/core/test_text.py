"""Names and titles (exchange.core.text): NFC, and no invisible or control characters — one rule
for the forms, the API, the models' admin forms and the services of every app."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from exchange.core import text
from exchange.core.errors import InvalidInput

REFUSED = [
    "\u200b",  # zero-width space
    "\u200c",  # zero-width non-joiner
    "\u200d",  # zero-width joiner
    "\u2060",  # word joiner
    "\ufeff",  # BOM / zero-width no-break space
    "\u00ad",  # soft hyphen
    "\u200e",  # left-to-right mark
    "\u200f",  # right-to-left mark
    "\u202a", "\u202b", "\u202c", "\u202d", "\u202e",  # embeddings, pop, overrides
    "\u2066", "\u2067", "\u2068", "\u2069",  # isolates
    "\u061c",  # Arabic letter mark
    "\x00", "\t", "\n", "\r", "\x1b", "\x7f", "\x85",  # controls
    "\u2028", "\u2029",  # line / paragraph separators
    "\ufe0f", "\ufe00",  # variation selectors
    "\u034f",  # combining grapheme joiner
    "\u3164", "\u115f", "\u1160", "\uffa0", "\u2800",  # characters that draw nothing
    "\U000e0041",  # tag character
]  # fmt: skip


@pytest.mark.parametrize("ch", REFUSED)
def test_every_invisible_or_control_character_is_found(ch):
    assert text.forbidden_char(f"系统{ch}管理员") == ch
    with pytest.raises(InvalidInput) as err:
        text.clean_name(f"系统{ch}管理员", field="name")
    assert err.value.data["field"] == "name"
    assert "不可见字符" in err.value.message


@given(
    st.text(
        alphabet=st.characters(
            blacklist_categories=("Cc", "Cf", "Cs", "Zl", "Zp"),
            blacklist_characters="".join(chr(c) for c in text._REFUSED_CODEPOINTS),
        ),
        max_size=40,
    )
)
def test_visible_text_passes_and_comes_back_nfc(value):
    cleaned = text.clean_name(value, field="name")
    assert cleaned == unicodedata.normalize("NFC", value).strip()


@given(st.text(max_size=20), st.sampled_from(REFUSED), st.text(max_size=20))
def test_a_refused_character_anywhere_is_refused(before, ch, after):
    with pytest.raises(InvalidInput):
        text.clean_name(before + "甲" + ch + "乙" + after, field="title")


def test_rare_name_characters_are_kept():
    # an ideographic variation sequence (a rare form of 葛) and a private-use character
    assert text.clean_name("葛\U000e0100亮", field="name") == "葛\U000e0100亮"
    assert text.clean_name("王\ue000", field="name") == "王\ue000"


def test_decomposed_and_composed_forms_are_stored_alike():
    assert text.clean_name("Jose\u0301 ", field="name") == "José"


def test_pydantic_plain_text_refuses_and_normalises():
    from pydantic import TypeAdapter, ValidationError

    adapter = TypeAdapter(text.PlainText)
    assert adapter.validate_python("Jose\u0301") == "José"
    with pytest.raises(ValidationError):
        adapter.validate_python("a\u200bb")
