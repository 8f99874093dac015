"""The 受让资格承诺函 (buyer's qualification commitment letter): one text per category, from
the templates `trading/commitments/<category>.txt` (`default.txt` for a category without its
own clause), with the project's and the buyer's names filled in.

The same text is what a buyer accepts online on the application form (its SHA-256 and the
version TRADING_COMMITMENT_VERSION are recorded with the application) and what the template
to sign (`letter_pdf`) prints. The text is in the language of the page, as the form shows it.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.template.loader import render_to_string, select_template
from django.utils import timezone
from django.utils.translation import get_language
from weasyprint import HTML

from exchange.core import clock
from exchange.trading import conf


@dataclass(frozen=True)
class Letter:
    text: str
    version: str
    sha256: str


def template_name(category: str) -> str:
    """The category's letter, or the default one."""
    names = [f"trading/commitments/{category}.txt", "trading/commitments/default.txt"]
    return str(select_template(names).template.name)


def buyer_name(member: Any) -> str:
    return str(getattr(member, "real_name", "") or getattr(member, "name", "") or "")


def letter(project: Any, member: Any) -> Letter:
    """The letter `member` is asked to accept for `project`, in the active language."""
    chinese = (get_language() or "zh").startswith("zh")
    context = {
        "project": project,
        "exchange_name": settings.EXCHANGE_NAME if chinese else settings.EXCHANGE_NAME_EN,
        "buyer": buyer_name(member),
        "member_no": getattr(member, "member_no", "") or "",
    }
    text = "\n".join(line.rstrip() for line in render_to_string(template_name(project.category), context).splitlines())
    text = text.strip()
    return Letter(text=text, version=str(conf.get("TRADING_COMMITMENT_VERSION")), sha256=digest(text))


def digest(text: str) -> str:
    """SHA-256 (hex) of the letter's UTF-8 text: what the application records."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def letter_pdf(project: Any, member: Any) -> bytes:
    """The template to sign: the same text, signature and date lines, version and digest."""

    doc = letter(project, member)
    title, _, body = doc.text.partition("\n")
    html = render_to_string(
        "trading/pdf/commitment.html",
        {
            "letter": doc,
            "title": title.strip(),
            "paragraphs": [p for p in body.splitlines() if p.strip()],
            "buyer": buyer_name(member),
            "generated_at": timezone.localtime(clock.now()),
            "project": project,
            "lang": get_language() or "zh-hans",
        },
    )
    return bytes(HTML(string=html).write_pdf())
