"""Every URL pattern × every role: the server grants exactly what the role matrix says.

The expected answer of each page comes from `exchange.accounts.roles` (the role matrix)
and the rules below; the real answer comes from an HTTP request. A URL pattern that is
not classified here fails the test, so a new page cannot ship without a decision on who
may see it.
"""

from __future__ import annotations

import datetime
import importlib
import importlib.util
from collections.abc import Callable, Iterator
from types import ModuleType

import pytest
from auditlog.models import LogEntry
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib.auth.models import Group
from django.urls import URLPattern, URLResolver, get_resolver
from django_tasks_db.models import DBTaskResult

from exchange.accounts import roles, services, sms_codes
from exchange.accounts.models import ApiToken, User
from exchange.core import clock, registry
from exchange.core.models import Heartbeat, HolidayOverride, Region
from exchange.portal.models import Article
from tests.access.checks import (
    ACTORS,
    ANON,
    MEMBER,
    SUPERUSER,
    Check,
    World,
    _anonymous_only,
    _api,
    _has,
    _is_staff,
    _login_page,
    _perms,
    _public,
)
from tests.factories import UserFactory, submit_verification

pytestmark = pytest.mark.django_db

# Models whose admin is read-only by design (written by services or by libraries).
NO_ADD = {"accounts.verification", "accounts.apitoken", "accounts.smscode", "core.heartbeat", "auditlog.logentry",
          "axes.accessattempt", "axes.accesslog", "axes.accessfailurelog", "django_tasks_database.dbtaskresult"}  # fmt: skip
NO_CHANGE = NO_ADD
NO_DELETE = {
    "accounts.verification",
    "accounts.smscode",
    "core.heartbeat",
    "auditlog.logentry",
    "django_tasks_database.dbtaskresult",
}
SUPERUSER_ONLY_DELETE = {"accounts.apitoken"}

# Apps of the registry (core/registry.py) that classify their own URLs in tests/access/<app>.py
# (core, accounts and portal are classified here). Each module provides
#   objects(users) -> {"app.model": pk}      objects its admin pages and URLs need
#   site_checks(w) -> {"ns:name": Check}     its non-admin URL patterns
#   admin_checks(w) -> {"admin:name": Check} its custom admin views (optional)
#   NO_ADD, NO_CHANGE, NO_DELETE: sets of "app.model" (optional)
CONTRIBUTORS = tuple(
    config.label for config in registry.exchange_apps() if importlib.util.find_spec(f"tests.access.{config.label}")
)


def _patterns(patterns: list, prefix: str = "", ns: str | None = None) -> Iterator[tuple[str, str, URLPattern]]:
    for p in patterns:
        if isinstance(p, URLResolver):
            inner_ns = ":".join(x for x in (ns, p.namespace) if x) or None
            yield from _patterns(p.url_patterns, prefix + str(p.pattern), inner_ns)
        else:
            name = f"{ns}:{p.name}" if ns else str(p.name)
            yield prefix + str(p.pattern), name, p


ALL_PATTERNS = sorted({(route, name) for route, name, _p in _patterns(get_resolver().url_patterns)})


@pytest.fixture
def world(db, settings) -> World:
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}  # the task admin reads real results
    users: dict[str, User | None] = {ANON: None, MEMBER: UserFactory()}
    users[SUPERUSER] = User.objects.create_superuser("13700000000", "root@example.com", "x", name="root")
    for role in roles.ROLES:
        users[role.key] = UserFactory(role=role.key)
    owner = UserFactory()
    verification = submit_verification(owner, seq=11)
    token_raw = services.api_token_issue(user=owner)
    assert token_raw
    article = Article.objects.create(kind="news", title="t", body="b", is_published=True)
    Article.objects.create(kind="help", title="会员服务协议", body="b", is_published=True, slug="terms")
    now = clock.now()
    objects = {
        "core.region": Region.objects.get(code="140000").pk,
        "core.holidayoverride": HolidayOverride.objects.create(date=datetime.date(2027, 2, 6), kind="workday").pk,
        "core.heartbeat": Heartbeat.objects.create(process="worker", beat_at=now).pk,
        "accounts.user": owner.pk,
        "accounts.verification": verification.pk,
        "accounts.apitoken": ApiToken.objects.get(user=owner).pk,
        "accounts.smscode": sms_codes.code_create(phone=owner.phone, purpose="login").pk,
        "portal.article": article.pk,
        "auth.group": Group.objects.get(name="业务审核").pk,
        "auditlog.logentry": LogEntry.objects.order_by("pk").first().pk,
        "axes.accessattempt": AccessAttempt.objects.create(
            username="u",
            ip_address="127.0.0.1",
            user_agent="x",
            get_data="",
            post_data="",
            http_accept="",
            path_info="/",
            failures_since_start=1,
            attempt_time=now,
        ).pk,
        "axes.accesslog": AccessLog.objects.create(
            username="u", ip_address="127.0.0.1", user_agent="x", http_accept="", path_info="/", attempt_time=now
        ).pk,
        "axes.accessfailurelog": AccessFailureLog.objects.create(
            username="u", ip_address="127.0.0.1", user_agent="x", http_accept="", path_info="/", attempt_time=now
        ).pk,
        "django_tasks_database.dbtaskresult": DBTaskResult.objects.create(
            task_path="exchange.core.tasks.worker_heartbeat",
            args_kwargs={"args": [], "kwargs": {}},
            backend_name="default",
            run_after=now,
            queue_name="default",
        ).pk,
    }
    for module in _contributors():
        objects.update(module.objects(users))
    return World(users=users, objects={k: str(v) for k, v in objects.items()}, verification=verification)


def _contributors() -> list[ModuleType]:
    return [importlib.import_module(f"tests.access.{app}") for app in CONTRIBUTORS]


def _model_set(name: str) -> set[str]:
    return set().union(*(getattr(m, name, set()) for m in _contributors()))


def site_checks(w: World) -> dict[str, Check]:
    checks = _core_site_checks(w)
    for module in _contributors():
        checks.update(module.site_checks(w))
    return checks


def _core_site_checks(w: World) -> dict[str, Check]:
    v = w.verification
    return {
        "portal:home": _public("/"),
        "portal:project_hall": _public("/projects/"),
        "portal:bidding_hall": _public("/bidding/"),
        "portal:deal_notices": _public("/deals/"),
        "portal:news": _public("/news/"),
        "portal:policies": _public("/policies/"),
        "portal:article": _public(f"/articles/{w.objects['portal.article']}/"),
        "portal:help": _public("/help/"),
        "portal:page": _public("/pages/terms/"),
        "healthz": _public("/healthz"),
        "robots": _public("/robots.txt"),
        "favicon": Check("GET", "/favicon.ico", lambda a: 301),
        "openapi": _public("/api/openapi.json"),
        "set_language": Check("GET", "/i18n/setlang/", lambda a: 302),  # changes only on POST; GET goes back
        "accounts:login": _anonymous_only("/accounts/login/"),
        "accounts:login_sms": _anonymous_only("/accounts/login/sms/"),
        "accounts:logout": Check("GET", "/accounts/logout/", lambda a: 405),  # POST only (CSRF-safe)
        "accounts:register": _anonymous_only("/accounts/register/"),
        "accounts:center": _login_page("/accounts/center/"),
        "accounts:landing": _login_page("/accounts/landing/", logged_in_status=302),
        "accounts:verification": _login_page("/accounts/verification/"),
        "accounts:tokens": _login_page("/accounts/tokens/"),
        # POST only; a GET is refused (405) once logged in, the login page first otherwise
        "accounts:token_revoke": Check("GET", "/accounts/tokens/999999/revoke/", lambda a: 302 if a == ANON else 405),
        "accounts:verification_document": Check(
            "GET",
            f"/accounts/verification/{v.pk}/front/",
            lambda a: 302 if a == ANON else (200 if _has(a, "accounts.view_verification") else 404),
        ),
        "accounts:password_change": _login_page("/accounts/password/change/"),
        "accounts:password_reset": _public("/accounts/password/reset/"),
        "accounts:password_reset_phone": _public("/accounts/password/reset/phone/"),
        "accounts:password_reset_done": _public("/accounts/password/reset/sent/"),
        "accounts:password_reset_confirm": _public("/accounts/password/reset/MQ/bad-token/"),  # shows "link invalid"
        "accounts:password_reset_complete": _public("/accounts/password/reset/complete/"),
        "api:openapi-json": _public("/api/v1/openapi.json"),
        "api:openapi-view": _public("/api/v1/docs"),
        "api:api-root": Check("GET", "/api/v1/", lambda a: 404),
        "api:token_create": Check("GET", "/api/v1/auth/token", lambda a: 405),
        "api:token_logout": Check("GET", "/api/v1/auth/logout", lambda a: 405),
        "api:sms_code_request": Check("GET", "/api/v1/auth/sms-code", lambda a: 405),
        "api:token_create_sms": Check("GET", "/api/v1/auth/token/sms", lambda a: 405),
        "api:password_reset_sms": Check("GET", "/api/v1/auth/password-reset/sms", lambda a: 405),
        "api:me": _api("GET", "/api/v1/me"),
        "api:verification_submit": _api("POST", "/api/v1/me/verification", ok=422),  # reached: body missing
        "api:verification_queue": _api("GET", "/api/v1/verifications", "accounts.view_verification"),
        "api:verification_approve": _api(
            "POST", "/api/v1/verifications/999999/approve", "accounts.review_verification", ok=404
        ),
        "api:verification_reject": _api(
            "POST",
            "/api/v1/verifications/999999/reject",
            "accounts.review_verification",
            ok=404,
            json='{"reason": "x"}',
        ),
        "api:regions": _public("/api/v1/ref/regions"),
    }


def admin_check(route: str, name: str, w: World) -> Check | None:
    """Expected answers of the back office, derived from the model permissions of each role."""
    staff_only = lambda ok: lambda a: ok if _is_staff(a) else 302  # noqa: E731 — members and anonymous go to the admin login
    fixed = {
        "admin:index": Check("GET", "/admin/", staff_only(200)),
        "admin:search": Check("GET", "/admin/search/?s=abc", staff_only(200)),
        "admin:login": Check("GET", "/admin/login/", lambda a: 302 if _is_staff(a) else 200),
        "admin:logout": Check("GET", "/admin/logout/", staff_only(405)),  # POST only
        "admin:password_change": Check("GET", "/admin/password_change/", staff_only(200)),
        "admin:password_change_done": Check("GET", "/admin/password_change/done/", staff_only(200)),
        "admin:autocomplete": Check("GET", "/admin/autocomplete/", staff_only(403)),  # needs app/model/field params
        "admin:jsi18n": Check("GET", "/admin/jsi18n/", staff_only(200)),
    }
    for module in _contributors():
        fixed.update(getattr(module, "admin_checks", lambda w: {})(w))
    if name in fixed:
        return fixed[name]
    if name == "admin:view_on_site":
        from django.contrib.contenttypes.models import ContentType

        ct = ContentType.objects.get_for_model(Article).pk
        return Check("GET", f"/admin/r/{ct}/{w.objects['portal.article']}/", staff_only(302))
    if name == "admin:app_list":

        def app_list(actor: str) -> int:
            if not _is_staff(actor):
                return 302
            perms = _perms(actor)
            return 200 if perms is None or any(p.startswith("accounts.") for p in perms) else 404

        return Check("GET", "/admin/accounts/", app_list)
    if route == "admin/(?P<url>.*)$":
        return Check("GET", "/admin/no/such/page/", staff_only(404))
    parts = route.split("/")  # admin/<app>/<model>/...
    app, model = parts[1], parts[2]
    key = f"{app}.{model}"
    perm_app = "django_tasks_db" if app == "django_tasks_database" else app
    pk = w.objects[key]
    view = _has_any(f"{perm_app}.view_{model}", f"{perm_app}.change_{model}")
    no_add, no_change, no_delete = (
        NO_ADD | _model_set("NO_ADD"),
        NO_CHANGE | _model_set("NO_CHANGE"),
        NO_DELETE | _model_set("NO_DELETE"),
    )
    change = lambda a: key not in no_change and _has(a, f"{perm_app}.change_{model}")  # noqa: E731

    def guard(allowed: Callable[[str], bool], ok: int = 200) -> Callable[[str], int]:
        return lambda a: 302 if not _is_staff(a) else (ok if allowed(a) else 403)

    suffix = route.split(f"admin/{app}/{model}/", 1)[1]
    table: dict[str, Check] = {
        "": Check("GET", f"/admin/{app}/{model}/", guard(view)),
        "export/": Check("GET", f"/admin/{app}/{model}/export/", guard(view)),
        "add/": Check(
            "GET",
            f"/admin/{app}/{model}/add/",
            guard(lambda a: key not in no_add and _has(a, f"{perm_app}.add_{model}")),
        ),
        "<path:object_id>/change/": Check(
            "GET", f"/admin/{app}/{model}/{pk}/change/", guard(lambda a: view(a) or change(a))
        ),
        "<path:object_id>/delete/": Check(
            "GET",
            f"/admin/{app}/{model}/{pk}/delete/",
            guard(
                lambda a: (
                    key not in no_delete
                    and _has(a, f"{perm_app}.delete_{model}")
                    and (key not in SUPERUSER_ONLY_DELETE or a == SUPERUSER)
                )
            ),
        ),
        "<path:object_id>/history/": Check("GET", f"/admin/{app}/{model}/{pk}/history/", guard(view)),
        "<path:object_id>/auditlog/": Check("GET", f"/admin/{app}/{model}/{pk}/auditlog/", guard(view)),
        "<path:object_id>/": Check("GET", f"/admin/{app}/{model}/{pk}/", lambda a: 302),
        "<path:object_id>/review/": Check(
            "GET", f"/admin/{app}/{model}/{pk}/review/", guard(lambda a: _has(a, "accounts.review_verification"))
        ),
        "<id>/password/": Check(
            "GET", f"/admin/{app}/{model}/{pk}/password/", guard(lambda a: _has(a, "accounts.change_user"))
        ),
    }
    return table.get(suffix)


def _has_any(*perms: str) -> Callable[[str], bool]:
    return lambda actor: any(_has(actor, p) for p in perms)


def _resolve(route: str, name: str, w: World) -> Check:
    check = site_checks(w).get(name) if not route.startswith("admin/") else admin_check(route, name, w)
    assert check is not None, f"URL pattern {route!r} ({name}) is not in the access matrix: decide who may use it"
    return check


def test_every_url_pattern_is_classified(world):
    for route, name in ALL_PATTERNS:
        _resolve(route, name, world)


@pytest.mark.parametrize("actor", ACTORS)
def test_access_matrix(client, world, actor):
    user = world.users[actor]
    if user is not None:
        client.force_login(user)
    wrong = []
    for route, name in ALL_PATTERNS:
        check = _resolve(route, name, world)
        if check.json is not None:
            response = client.generic(check.method, check.url, check.json, content_type="application/json")
        else:
            response = client.generic(check.method, check.url)
        expected = check.expected(actor)
        allowed = expected if isinstance(expected, set) else {expected}
        if response.status_code not in allowed:
            wrong.append(f"{check.method} {check.url} ({name}): got {response.status_code}, matrix says {expected}")
    assert not wrong, f"{actor}:\n" + "\n".join(wrong)


def test_supervisor_is_read_only_everywhere():
    perms = roles.role_permissions(roles.ROLE_BY_KEY["supervisor"])
    assert perms, "the supervisor must see something"
    assert all(p.split(".", 1)[1].startswith("view_") for p in perms)


def test_member_roles_grant_no_back_office_permission():
    for key in roles.MEMBER_ROLE_KEYS:
        assert roles.role_permissions(roles.ROLE_BY_KEY[key]) == set()


def test_database_groups_match_the_matrix():
    for role in roles.ROLES:
        group = Group.objects.get(name=role.name)
        actual = {f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.select_related("content_type")}
        assert actual == roles.role_permissions(role), role.key
