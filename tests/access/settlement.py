"""The settlement app's part of the access matrix (see tests/test_access_matrix.py)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile

from exchange.accounts.models import User
from exchange.settlement import services
from exchange.settlement.models import (
    Account,
    CreditEvent,
    FeeSchedule,
    PaymentItem,
    Posting,
    StatementImport,
    StatementLine,
    StatementUpload,
)
from tests.access.checks import ANON, Check, World, _api, _has

_READ_ONLY = {
    "settlement.account",
    "settlement.posting",
    "settlement.depositinstruction",
    "settlement.statementimport",
    "settlement.statementline",
    "settlement.statementupload",
    "settlement.paymentbatch",
    "settlement.paymentitem",
    "settlement.creditevent",
    "settlement.priceplan",
}
NO_ADD: set[str] = set(_READ_ONLY)  # money records change only through the services
NO_CHANGE: set[str] = set(_READ_ONLY)
NO_DELETE: set[str] = _READ_ONLY | {"settlement.feeschedule", "settlement.bankprofile"}

PROJECT_ID = 424242


def objects(users: dict[str, User | None]) -> dict[str, object]:
    """One existing object per admin-registered model of the app: {"settlement.model": pk}."""
    from tests.factories import UserFactory
    from tests.settlement import factories as f

    finance = users["finance"]
    member = UserFactory()
    waiting = f.instruction(member=member, amount=Decimal("1000.00"), project_id=PROJECT_ID)
    paid = f.instruction(amount=Decimal("2000.00"), project_id=PROJECT_ID)
    upload = services.statement_upload_create(
        profile_id=f.generic_profile().pk,
        upload=SimpleUploadedFile(
            "s.csv",
            f.statement_bytes(
                [
                    f.row(amount="1000.00", virtual_account=""),
                    f.row(amount="2000.00", virtual_account=paid.virtual_account),
                ]
            ),
        ),
        actor=finance,
    )
    services.statement_upload_confirm(upload_id=upload.pk, actor=finance)
    services.deposit_forfeit(instruction_id=paid.pk, reason="未参加竞价")
    services.statement_line_return(line_id=StatementLine.objects.get(instruction=None).pk, actor=finance)
    batch = services.payment_batch_prepare(actor=finance)
    plan = services.price_plan_create(
        project_id=PROJECT_ID,
        project_code="P",
        project_title="T",
        buyer=member,
        seller=UserFactory(),
        price=Decimal("100000.00"),
        contract_effective_on=dt.date(2026, 3, 2),
    )
    return {
        "settlement.account": Account.objects.order_by("pk").first().pk,  # type: ignore[union-attr]
        "settlement.posting": Posting.objects.order_by("pk").first().pk,  # type: ignore[union-attr]
        "settlement.depositinstruction": waiting.pk,
        "settlement.statementimport": StatementImport.objects.get().pk,
        "settlement.statementline": StatementLine.objects.order_by("pk").first().pk,  # type: ignore[union-attr]
        "settlement.statementupload": StatementUpload.objects.get().pk,
        "settlement.paymentbatch": batch.pk,
        "settlement.paymentitem": PaymentItem.objects.get().pk,
        "settlement.feeschedule": FeeSchedule.objects.get_or_create(
            name="t", method="bidding", side="buyer", category="access", effective_from=dt.date(2026, 1, 1)
        )[0].pk,
        "settlement.bankprofile": f.generic_profile().pk,
        "settlement.creditevent": CreditEvent.objects.get().pk,
        "settlement.priceplan": plan.pk,
    }


def _staff_page(url: str, perm: str) -> Check:
    return Check("GET", url, lambda a: 302 if a == ANON else (200 if _has(a, perm) else 403))


def _member_page(url: str) -> Check:
    return Check("GET", url, lambda a: 302 if a == ANON else 200)


def site_checks(w: World) -> dict[str, Check]:
    """Expected answers of the app's non-admin URL patterns, by URL name."""
    line, batch = w.objects["settlement.statementline"], w.objects["settlement.paymentbatch"]
    upload, statement = w.objects["settlement.statementupload"], w.objects["settlement.statementimport"]
    base = "/settlement/finance"
    return {
        "settlement:finance": _staff_page(f"{base}/", "settlement.view_depositinstruction"),
        "settlement:deposits_held": _staff_page(f"{base}/deposits/", "settlement.view_depositinstruction"),
        "settlement:refunds_due": _staff_page(f"{base}/refunds/", "settlement.view_depositinstruction"),
        "settlement:run_refunds": Check("GET", f"{base}/refunds/run/", lambda a: 405),  # POST only
        "settlement:exceptions": _staff_page(f"{base}/exceptions/", "settlement.view_statementline"),
        "settlement:exception": _staff_page(f"{base}/exceptions/{line}/", "settlement.view_statementline"),
        "settlement:statement_upload": _staff_page(f"{base}/import/", "settlement.add_statementimport"),
        # the upload was confirmed: its preview sends finance on to the import's page
        "settlement:statement_preview": Check(
            "GET",
            f"{base}/import/uploads/{upload}/",
            lambda a: 302 if a == ANON or _has(a, "settlement.add_statementimport") else 403,
        ),
        "settlement:statement_template": _staff_page(
            f"{base}/import/template/generic.xlsx", "settlement.view_bankprofile"
        ),
        "settlement:statement_detail": _staff_page(f"{base}/imports/{statement}/", "settlement.view_statementimport"),
        "settlement:statement_file": _staff_page(
            f"{base}/imports/{statement}/file/", "settlement.view_statementimport"
        ),
        "settlement:batches": _staff_page(f"{base}/batches/", "settlement.view_paymentbatch"),
        "settlement:batch": _staff_page(f"{base}/batches/{batch}/", "settlement.view_paymentbatch"),
        "settlement:cash_report": _staff_page(f"{base}/cash/?date=2026-03-02", "settlement.view_posting"),
        "settlement:trial_balance": _staff_page(f"{base}/trial-balance/", "settlement.view_account"),
        "settlement:manual_posting": _staff_page(f"{base}/postings/new/", "settlement.post_manual_posting"),
        "settlement:project_sheet": _staff_page(f"{base}/projects/{PROJECT_ID}/sheet.pdf", "settlement.view_posting"),
        "settlement:member_statement": _member_page("/settlement/me/"),
        "settlement:member_statement_pdf": _member_page("/settlement/me/statement.pdf"),
        "api:my_deposits": _api("GET", "/api/v1/settlement/deposits"),
        "api:my_deposit": _api("GET", "/api/v1/settlement/deposits/999999", ok=404),
        "api:my_statement": _api("GET", "/api/v1/settlement/statement"),
        "api:fee_quote": _api("GET", "/api/v1/settlement/fees/quote?amount=80000000&side=seller"),
    }
