"""The deals app's part of the access matrix (see tests/test_access_matrix.py)."""

from __future__ import annotations

from exchange.accounts.models import User
from tests.access.checks import ANON, Check, World, _api, _has, _public

_READ_ONLY = {"deals.deal", "deals.contract", "deals.certificate"}
NO_ADD: set[str] = set(_READ_ONLY)  # deals change only through the services and the deal pages
NO_CHANGE: set[str] = set(_READ_ONLY)
NO_DELETE: set[str] = set(_READ_ONLY)


def objects(users: dict[str, User | None]) -> dict[str, object]:
    """A deal with its contract and a certificate (paid in full), none of the role users a party."""
    from tests.deals import factories as f

    deal = f.certified()
    cert = deal.certificates.get()
    return {
        "deals.deal": deal.pk,
        "deals.contract": deal.contract.pk,
        "deals.certificate": cert.pk,
        "deals._verify": f"{cert.number}/{cert.check_code}",
    }


def _staff_page(url: str, perm: str) -> Check:
    return Check("GET", url, lambda a: 302 if a == ANON else (200 if _has(a, perm) else 403))


def _party_page(url: str, perm: str, staff_status: int = 200) -> Check:
    """Only the parties (none of the matrix users) or staff with `perm`; others get 404."""
    return Check("GET", url, lambda a: 302 if a == ANON else (staff_status if _has(a, perm) else 404))


def _post_only(url: str) -> Check:
    return Check("GET", url, lambda a: 405)


def site_checks(w: World) -> dict[str, Check]:
    pk = w.objects["deals.deal"]
    return {
        "deals:member_deals": Check("GET", "/deals/me/", lambda a: 302 if a == ANON else 200),
        "deals:member_deal": _party_page(f"/deals/me/{pk}/", "deals.view_deal", staff_status=302),
        "deals:contract_sign": _post_only(f"/deals/me/{pk}/sign/"),
        "deals:contract": _party_page(f"/deals/{pk}/contract/", "deals.view_contract"),
        "deals:contract_pdf": _party_page(f"/deals/{pk}/contract.pdf", "deals.view_contract"),
        "deals:certificate_pdf": _party_page(f"/deals/{pk}/certificate.pdf", "deals.view_certificate"),
        "deals:certificate_verify": _public(f"/deals/certificates/{w.objects['deals._verify']}/"),
        "deals:staff_deals": _staff_page("/deals/staff/", "deals.view_deal"),
        "deals:staff_deal": _staff_page(f"/deals/staff/{pk}/", "deals.view_deal"),
        "deals:staff_review": _post_only(f"/deals/staff/{pk}/review/"),
        "deals:staff_payment": _post_only(f"/deals/staff/{pk}/payment/"),
        "deals:staff_default": _post_only(f"/deals/staff/{pk}/default/"),
        "deals:staff_relist": _post_only(f"/deals/staff/{pk}/relist/"),
        "deals:staff_certificate_issue": _post_only(f"/deals/staff/{pk}/certificate/"),
        "deals:staff_certificate_revoke": _post_only(f"/deals/staff/{pk}/certificate/revoke/"),
        "api:my_deals": _api("GET", "/api/v1/deals"),
        "api:my_deal": _api("GET", f"/api/v1/deals/{pk}", ok=404),  # nobody in the matrix is a party
        "api:deal_sign": _api("POST", f"/api/v1/deals/{pk}/sign", ok=404, json='{"side": "buyer"}'),
    }
