"""Everything a staff member reads is Chinese (issue 15, item 12): with the demo data, every
staff role visits the back office (lists, records, their history, export pages) and the staff
pages of the site; no raw code, field name or English column heading may show, and the
exported files are headed and filled in words.

The check is built from the code, not from a list typed by hand: every field name with an
underscore and every code of a field's choices of our apps, the material kinds, the posting
reasons and the machine references (`line:3`, `deposit:1`), plus `None`/`True`/`False` and
empty JSON (`[]`, `{}`). Headings (th, label, dt) must not be ASCII-only (“ID” excepted).
"""

from __future__ import annotations

import contextlib
import io
import re
from html.parser import HTMLParser

import pytest
from django.apps import apps
from django.contrib import admin
from django.core.management import call_command
from django.urls import NoReverseMatch, reverse
from openpyxl import load_workbook

from exchange.accounts import roles
from exchange.accounts.models import User
from exchange.settlement import references
from exchange.trading.conf import MATERIAL_LABELS

pytestmark = pytest.mark.django_db

OUR_APPS = {"accounts", "core", "portal", "listings", "settlement", "bidding", "members", "trading", "deals", "brokers"}
# Third-party records of the machine itself: task arguments, lockout records (user agents,
# request paths), permission codenames of apps that do not mark their names for translation.
TECHNICAL = {"django_tasks_database", "axes", "auth"}
ALLOWED_HEADINGS = {"ID"}
MACHINE_REFERENCE = re.compile(r"(?<![\w:])(?:line|deposit|plan|item):\d+")


def _raw_tokens() -> set[str]:
    tokens = {"None", "True", "False"} | set(MATERIAL_LABELS) | set(references.REASONS)
    for model in apps.get_models():
        if model._meta.app_label not in OUR_APPS:
            continue
        for field in model._meta.get_fields():
            if "_" in field.name.strip("_"):
                tokens.add(field.name)
            for value, _label in getattr(field, "flatchoices", None) or []:
                if isinstance(value, str) and re.fullmatch(r"[a-z][a-z_]{2,}", value):
                    tokens.add(value)
    return tokens


class _Reader(HTMLParser):
    """The text a person sees (no scripts, styles, icon ligatures, hidden inputs) and the
    headings (th, label, dt)."""

    HEADINGS = ("th", "label", "dt", "legend")
    VOID = {"input", "br", "img", "meta", "link", "hr", "source", "wbr", "col", "area", "base", "embed", "track"}

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[tuple[str, bool]] = []
        self.text: list[str] = []
        self.headings: list[str] = []

    def _hidden(self) -> bool:
        return any(skip for _tag, skip in self.stack)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.VOID:
            return
        a = dict(attrs)
        skip = tag in ("script", "style", "template", "textarea") or "material-symbols" in (a.get("class") or "")
        self.stack.append((tag, skip))

    def handle_endtag(self, tag: str) -> None:
        while self.stack:
            if self.stack.pop()[0] == tag:
                break

    def handle_data(self, data: str) -> None:
        if self._hidden() or not data.strip():
            return
        self.text.append(data)
        if self.stack and self.stack[-1][0] in self.HEADINGS:
            self.headings.append(data.strip())


def _problems(html: str, tokens: set[str]) -> list[str]:
    reader = _Reader()
    reader.feed(html)
    text = " ".join(reader.text)
    text = re.sub(r"\S+@\S+|https?://\S+", " ", text)  # addresses are data
    found = {w for w in re.findall(r"(?<![\w.:/-])[A-Za-z][\w]*(?![\w])", text) if w in tokens}
    found |= set(MACHINE_REFERENCE.findall(text))
    found |= {t for t in ("[]", "{}") if t in text}
    found |= {
        f"heading “{h}”"
        for h in reader.headings
        if re.search(r"[A-Za-z]", h) and not re.search(r"[\u4e00-\u9fff]", h) and h not in ALLOWED_HEADINGS
    }
    return sorted(found)


def _admin_pages(*, lists: bool, records: int, history: bool) -> list[str]:
    """The back office: the index, every export page, and (`lists`) every list and
    (`records`) the latest records of each model, with their audit history (`history`)."""
    urls = ["/admin/"]
    for model, _admin in admin.site._registry.items():
        meta = model._meta
        if meta.app_label in TECHNICAL:
            continue
        base = f"admin:{meta.app_label}_{meta.model_name}"
        with contextlib.suppress(NoReverseMatch):
            urls.append(reverse(f"{base}_export"))
        if lists:
            urls.append(reverse(f"{base}_changelist"))
        for pk in model._default_manager.order_by("-pk").values_list("pk", flat=True)[:records]:
            urls.append(reverse(f"{base}_change", args=[pk]))
            if history:
                urls.append(reverse(f"{base}_history", args=[pk]))
    return urls


def _staff_pages() -> list[str]:
    from exchange.bidding.models import Auction
    from exchange.deals.models import Deal
    from exchange.listings.models import Project
    from exchange.settlement.models import PaymentBatch, StatementImport, StatementLine
    from exchange.trading.models import Application

    urls = [
        "/trading/staff/",
        "/deals/staff/",
        "/bidding/monitor/",
        "/staff/listings/reviews/",
        "/staff/listings/calendar/",
    ]
    urls += [
        f"/settlement/finance/{p}"
        for p in ("", "deposits/", "refunds/", "exceptions/", "import/", "batches/", "cash/", "trial-balance/")
    ]
    urls += [f"/staff/listings/{pk}/" for pk in Project.objects.values_list("pk", flat=True)[:6]]
    urls += [f"/trading/staff/applications/{pk}/" for pk in Application.objects.values_list("pk", flat=True)]
    urls += [f"/trading/staff/projects/{pk}/terms/" for pk in Project.objects.values_list("pk", flat=True)[:4]]
    urls += [f"/deals/staff/{pk}/" for pk in Deal.objects.values_list("pk", flat=True)]
    urls += [f"/bidding/{pk}/" for pk in Auction.objects.values_list("pk", flat=True)[:3]]
    urls += [f"/settlement/finance/exceptions/{pk}/" for pk in StatementLine.objects.values_list("pk", flat=True)[:4]]
    urls += [f"/settlement/finance/batches/{pk}/" for pk in PaymentBatch.objects.values_list("pk", flat=True)]
    urls += [f"/settlement/finance/imports/{pk}/" for pk in StatementImport.objects.values_list("pk", flat=True)[:3]]
    return urls


def test_staff_read_chinese_on_every_page_and_export(client):
    # given the demo data
    call_command("seed_demo", verbosity=0)
    tokens = _raw_tokens()
    staff = [User.objects.get(phone="13800000000")] + [
        User.objects.filter(is_staff=True, is_superuser=False, groups__name=role.name).order_by("pk").first()
        for role in roles.ROLES
        if role.staff
    ]
    problems: list[str] = []
    # when each staff role visits what it may see
    for user in staff:
        assert user is not None
        client.force_login(user)
        supervisor = user.groups.filter(name=roles.ROLE_BY_KEY["supervisor"].name).exists()
        seen = 0
        # lists, records and their history read the same for every role that may see them: as
        # the administrator (forms, history) and the supervisor (read-only); every role reads
        # its export pages and staff pages (an admin page costs ≈0.25 s: the test stays minutes)
        full = user.is_superuser or supervisor
        pages = _admin_pages(lists=user.is_superuser, records=1 if full else 0, history=user.is_superuser)
        for url in pages + _staff_pages():
            response = client.get(url)
            if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
                continue
            seen += 1
            problems += [f"{user.name} {url}: {p}" for p in _problems(response.content.decode(), tokens)]
        assert seen > 3, user.name  # every role reads something
    # and the exports are headed and filled in words (the administrator exports every list)
    client.force_login(staff[0])
    for model, model_admin in admin.site._registry.items():
        meta = model._meta
        if meta.app_label in TECHNICAL or not hasattr(model_admin, "get_export_resource_classes"):
            continue
        url = reverse(f"admin:{meta.app_label}_{meta.model_name}_export")
        form = client.get(url).context["form"]
        fields = {name: "on" for name in form.fields if name.startswith(f"{meta.model_name}resource_")}
        response = client.post(url, {"format": "0", "resource": "0", **fields})
        assert response.status_code == 200, url
        rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
        header, body = rows[0], rows[1:]
        problems += [
            f"export {meta.label}: column “{h}”"
            for h in header
            if h not in ALLOWED_HEADINGS and not re.search(r"[\u4e00-\u9fff]", str(h))
        ]
        cells = {str(v) for row in body for v in row if isinstance(v, str)}
        problems += [f"export {meta.label}: cell “{c}”" for c in cells if c in tokens or MACHINE_REFERENCE.fullmatch(c)]
    # then nothing raw leaks
    assert not problems, "\n".join(problems)
