"""A reviewer opens hostile uploads in a real browser, and no script of the attacker runs.

The attack of the security review: a member sends, through the API, a valid PNG whose text
chunk is an HTML page with a script, named `id.html`. Stored as `.html` and served as
`text/html`, it ran in the reviewer's browser on the site's origin when the reviewer opened
the document from the review page, read the review page's CSRF token and approved the
attacker's verification. Now the file is stored under a server-made `.png` name and served
as `image/png` with `nosniff` and a sandboxing CSP; SVG and HTML files are refused.
"""

from __future__ import annotations

import httpx
import pytest

from exchange.accounts import services as account_services
from exchange.accounts.models import Verification
from tests.factories import PASSWORD, UserFactory, valid_resident_id
from tests.uploads_support import HTML, SVG, polyglot_png

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def _submit(base: str, token: str, files: dict[str, tuple[str, bytes, str]], seq: int) -> httpx.Response:
    return httpx.post(
        f"{base}/api/v1/me/verification",
        headers={"Authorization": f"Bearer {token}"},
        data={"name": "陈明", "id_number": valid_resident_id(seq)},
        files=files,
        timeout=20,
    )


def _watch(context) -> dict[str, list[str]]:  # type: ignore[no-untyped-def]
    """Every console message and dialog of every page of the reviewer's browser."""
    seen: dict[str, list[str]] = {"console": [], "dialogs": []}
    context.on("console", lambda message: seen["console"].append(message.text))

    def on_page(page) -> None:  # type: ignore[no-untyped-def]
        def on_dialog(dialog) -> None:  # type: ignore[no-untyped-def]
            seen["dialogs"].append(dialog.message)
            dialog.dismiss()

        page.on("dialog", on_dialog)

    context.on("page", on_page)
    return seen


def test_a_reviewer_opening_hostile_uploads_runs_no_script(live_server, browser, shot):
    base = live_server.url
    # given: an attacker with an API token, and a reviewer
    attacker = UserFactory()
    token = account_services.api_token_issue(user=attacker)
    reviewer = UserFactory(role="reviewer")

    # when: the attacker sends the polyglot PNG as `id.html` through the API
    polyglot = polyglot_png()
    response = _submit(
        base,
        token,
        {"document_front": ("id.html", polyglot, "text/html"), "document_back": ("back.html", polyglot, "text/html")},
        seq=31,
    )
    # then: accepted as what it is, a PNG, under a name the server made
    assert response.status_code == 201, response.text
    verification = Verification.objects.get(user=attacker)
    assert verification.document_front.name.endswith(".png") and "id" not in verification.document_front.name
    assert verification.document_back.name.endswith(".png")

    # when: SVG and HTML files with scripts are sent (by another member)
    other = UserFactory()
    other_token = account_services.api_token_issue(user=other)
    for name, content, kind in (("id.svg", SVG, "image/svg+xml"), ("id.html", HTML, "text/html")):
        refused = _submit(
            base, other_token, {"document_front": (name, content, kind), "document_back": (name, content, kind)}, 32
        )
        # then: refused with a Chinese message, nothing stored
        assert refused.status_code == 422 and "JPG" in refused.json()["message"], refused.text
    assert not Verification.objects.filter(user=other).exists()

    # when: the reviewer logs in to the back office and opens the documents from the review page
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    seen = _watch(context)
    page = context.new_page()
    page.set_default_timeout(15000)
    page.goto(f"{base}/admin/login/")
    page.fill("input[name=username]", reviewer.phone)
    page.fill("input[name=password]", PASSWORD)
    page.locator("button[type=submit], input[type=submit]").first.click()
    page.wait_for_url(f"{base}/admin/")
    page.goto(f"{base}/admin/accounts/verification/{verification.pk}/review/")
    assert page.get_by_role("button", name="通过", exact=True).is_visible()
    opened = []
    for side in ("front", "back"):
        link = page.locator(f'a[href="/accounts/verification/{verification.pk}/{side}/"]')
        with context.expect_page() as popup_info:
            link.click()
        popup = popup_info.value
        popup.wait_for_load_state("load")
        opened.append(popup)
    # and the document's own address, typed in (a top-level navigation)
    direct = context.new_page()
    served = direct.goto(f"{base}/accounts/verification/{verification.pk}/front/")
    direct.wait_for_timeout(1500)  # time for a script's fetches, had one run
    shot(opened[0], "hostile-upload-opened-by-reviewer")

    # then: an image, sandboxed, and nothing of the attacker ran
    assert served is not None
    assert served.headers["content-type"] == "image/png"
    assert served.headers["x-content-type-options"] == "nosniff"
    assert "sandbox" in served.headers["content-security-policy"]
    for p in [*opened, direct]:
        assert p.evaluate("typeof window.__pwned") == "undefined"
    assert not seen["dialogs"]
    assert not [m for m in seen["console"] if "XSS" in m]
    verification.refresh_from_db()
    assert verification.status == Verification.Status.PENDING
    attacker.refresh_from_db()
    assert not attacker.is_verified
    context.close()


def _csp_problems(page) -> list[str]:  # type: ignore[no-untyped-def]
    problems: list[str] = []
    page.on(
        "console",
        lambda m: problems.append(m.text) if "Content Security Policy" in m.text or "Refused to" in m.text else None,
    )
    page.on("pageerror", lambda exc: problems.append(f"pageerror: {exc}"))
    return problems


def test_every_kind_of_page_works_under_the_content_security_policy(live_server, browser, shot):
    """The site, the back office (django-unfold, Alpine.js) and the API docs (Swagger UI) run
    their scripts under the site's policy: no violation reported, the scripts' work visible."""
    from django.core.management import call_command

    from exchange.accounts.models import User
    from exchange.bidding.models import Auction
    from exchange.listings.models import Project
    from exchange.portal.demo import DEMO_PASSWORD

    call_command("seed_demo")
    base = live_server.url
    project = Project.objects.filter(status__in=["disclosing", "extended"]).first() or Project.objects.first()
    auction = Auction.objects.first()
    reviewer_pk = User.objects.get(phone="13800000001").pk
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15000)
    problems = _csp_problems(page)

    # the public site and a member's pages
    public = ["/", "/projects/", "/bidding/", "/news/", "/help/", "/accounts/login/", "/accounts/register/"]
    public += [f"/projects/{project.pk}/"] if project else []
    public += [f"/bidding/{auction.pk}/"] if auction else []
    for path in public:
        response = page.goto(base + path)
        assert response is not None and response.status == 200, path
        assert "script-src 'self';" in response.headers["content-security-policy"], path
        assert "camera=()" in response.headers["permissions-policy"], path
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=username]", "13900000014")
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.get_by_role("button", name="登录", exact=True).click()
    page.wait_for_url(f"{base}/accounts/center/")
    for path in ["/accounts/center/", "/accounts/verification/", "/member/messages/"]:
        assert page.goto(base + path).status == 200, path  # type: ignore[union-attr]
    # a seller's pages (project forms, attachment upload)
    page.context.clear_cookies()
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=username]", "13900000001")
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.get_by_role("button", name="登录", exact=True).click()
    page.wait_for_url(f"{base}/accounts/center/")
    own = Project.objects.filter(seller__phone="13900000001").first()
    for path in ["/my/projects/", "/my/projects/new/", *([f"/my/projects/{own.pk}/"] if own else [])]:
        assert page.goto(base + path).status == 200, path  # type: ignore[union-attr]

    # the back office: Alpine.js removes x-cloak from <html> once it has run
    page.context.clear_cookies()
    page.goto(f"{base}/admin/login/")
    page.fill("input[name=username]", "13800000000")
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.locator("button[type=submit], input[type=submit]").first.click()
    page.wait_for_url(f"{base}/admin/")
    admin_pages = [
        "/admin/",
        "/admin/accounts/verification/",
        "/admin/accounts/user/",
        f"/admin/accounts/user/{reviewer_pk}/change/",
        "/admin/listings/project/",
        "/admin/listings/project/import/",
        "/admin/auditlog/logentry/",
    ]
    for path in admin_pages:
        response = page.goto(base + path)
        assert response is not None and response.status == 200, path
        page.wait_for_function("!document.documentElement.hasAttribute('x-cloak')")
        assert "'unsafe-eval'" in response.headers["content-security-policy"]
    shot(page, "csp-admin")
    # staff pages of the site
    for path in ["/staff/listings/reviews/", "/settlement/finance/import/", "/bidding/monitor/"]:
        response = page.goto(base + path)
        assert response is not None and response.status in (200, 403), path

    # the API docs: Swagger UI renders the schema
    page.goto(f"{base}/api/v1/docs")
    page.locator(".swagger-ui .info .title").wait_for()
    assert page.locator(".opblock").count() > 10
    shot(page, "csp-api-docs")

    assert problems == []
    context.close()
