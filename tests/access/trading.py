"""The trading app's part of the access matrix (see tests/test_access_matrix.py)."""

from __future__ import annotations

from exchange.accounts.models import User
from exchange.trading import services
from exchange.trading.models import Outcome, TradingTerms
from tests.access.checks import ANON, Check, World, _api, _has

# The back office only reads: decisions go through the staff pages (services).
NO_ADD = {"trading.application", "trading.tradingterms", "trading.outcome"}
NO_CHANGE = set(NO_ADD)
NO_DELETE = set(NO_ADD)


def objects(users: dict[str, User | None]) -> dict[str, object]:
    """One existing object per admin-registered model of the app: {"trading.model": pk}."""
    from django.utils import timezone

    from tests.trading import factories as f

    project = f.project()
    app = f.apply(project)
    outcome = Outcome.objects.create(project=project, round=1, cycle=9, decision="relist_pending",
                                     decided_at=timezone.now())  # fmt: skip
    draft = services.draft_upload(project_id=project.pk, member=f.buyer(), kind="id_proof", upload=f.pdf())
    return {
        "trading.materialdraft": draft.pk,
        "trading.application": app.pk,
        "trading.tradingterms": TradingTerms.objects.get(project=project).pk,
        "trading.outcome": outcome.pk,
        "trading.material": app.materials.first().pk,  # type: ignore[union-attr]
        "trading.project": project.pk,
    }


def _staff_page(url: str, perm: str) -> Check:
    return Check("GET", url, lambda a: 302 if a == ANON else (200 if _has(a, perm) else 403))


def _member_page(url: str) -> Check:
    return Check("GET", url, lambda a: 302 if a == ANON else 200)


def _own_or_perm(url: str, perm: str) -> Check:
    """The owner's page (none of the matrix actors owns it): staff with `perm` see it, others 404."""
    return Check("GET", url, lambda a: 302 if a == ANON else (200 if _has(a, perm) else 404))


def _post_only(url: str) -> Check:
    return Check("GET", url, lambda a: 302 if a == ANON else 405)


def site_checks(w: World) -> dict[str, Check]:
    """Expected answers of the app's non-admin URL patterns, by URL name."""
    app, project, material, draft = (
        w.objects["trading.application"],
        w.objects["trading.project"],
        w.objects["trading.material"],
        w.objects["trading.materialdraft"],
    )
    return {
        # anonymous → login; the matrix's members are unverified and staff may not apply, so
        # each is sent back to the project page with the reason (a verified buyer gets the
        # form: tests/trading/test_views.py)
        "trading:apply": Check("GET", f"/trading/projects/{project}/apply/", lambda a: 302),
        # a draft is its member's only (none of the matrix actors): 404 for everyone else, staff too
        "trading:draft": Check("GET", f"/trading/drafts/{draft}/", lambda a: 302 if a == ANON else 404),
        "trading:draft_remove": _post_only(f"/trading/drafts/{draft}/remove/"),
        # uploading needs a verified member who may apply (the matrix's are not): refused
        "trading:draft_upload": Check(
            "POST", f"/trading/projects/{project}/drafts/", lambda a: 302 if a == ANON else 403
        ),
        "trading:commitment_template": _member_page(f"/trading/projects/{project}/commitment.pdf"),
        "trading:my_applications": _member_page("/trading/applications/"),
        "trading:application": _own_or_perm(f"/trading/applications/{app}/", "trading.view_application"),
        "trading:withdraw": _post_only(f"/trading/applications/{app}/withdraw/"),
        "trading:material": _own_or_perm(f"/trading/materials/{material}/", "trading.view_material"),
        # only the project's own seller (not a matrix actor) sees its applicants
        "trading:seller_applicants": Check(
            "GET", f"/trading/seller/projects/{project}/applicants/", lambda a: 302 if a == ANON else 404
        ),
        "trading:seller_opinion": _post_only(f"/trading/seller/applications/{app}/opinion/"),
        "trading:staff_queue": _staff_page("/trading/staff/", "trading.view_application"),
        "trading:staff_application": _staff_page(f"/trading/staff/applications/{app}/", "trading.view_application"),
        "trading:staff_terms": _staff_page(f"/trading/staff/projects/{project}/terms/", "trading.view_tradingterms"),
        "api:trading_applications": _api("GET", "/api/v1/trading/applications"),
        "api:trading_application": _api("GET", "/api/v1/trading/applications/999999", ok=404),
        "api:trading_application_withdraw": _api(
            "POST", "/api/v1/trading/applications/999999/withdraw", ok=404, json="{}"
        ),
    }
