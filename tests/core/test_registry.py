"""The app registry (core/registry.py) is the only list of the apps: every app's pages, API
routers, role grants, demo data, jobs, work queues and panels come from its AppConfig.

The second half installs a throwaway app (tests/dummy_app, declared as docs/development.md
says) next to the real ones and finds each of its declarations wired in.
"""

from __future__ import annotations

import re
import types
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings as django_settings
from django.contrib import admin
from django.contrib.admin import sites
from django.contrib.auth.models import Group
from django.template import engines
from django.urls import get_resolver, reverse
from django.utils.module_loading import import_string
from ninja.testing import TestClient

from exchange import urls
from exchange.accounts import roles
from exchange.api import api, build_api
from exchange.core import registry, schedule, work_queues
from exchange.portal.demo import seed_demo
from tests.dummy_app import demo as dummy_demo
from tests.factories import UserFactory

SRC = Path(__file__).resolve().parents[2] / "src" / "exchange"


# --- every app declares itself -------------------------------------------------------------
def test_every_app_of_the_project_has_an_exchange_app_config():
    # apps.py that imports ExchangeAppConfig by name holds two AppConfig classes: Django then
    # quietly falls back to a plain AppConfig, and the app's declarations are lost
    ours = [config.label for config in apps.get_app_configs() if config.name.startswith("exchange.")]
    assert [config.label for config in registry.exchange_apps()] == ours  # INSTALLED_APPS order
    assert ours[:3] == ["core", "accounts", "portal"]


def test_every_declared_url_module_is_in_the_urlconf():
    included = [(str(p.pattern), p.urlconf_name) for p in get_resolver().url_patterns if hasattr(p, "urlconf_name")]
    for prefix, module in registry.url_modules():
        assert any(pattern == prefix and getattr(name, "__name__", name) == module for pattern, name in included), (
            module
        )


def test_every_declared_router_is_mounted_in_the_declared_order():
    mounted = [(prefix, router) for prefix, router in api._routers if prefix]  # "": ninja's own
    declared = [(r.path, import_string(r.router)) for r in registry.api_routers()]
    assert mounted[-len(declared) :] == declared
    # the order of the OpenAPI document (checked byte for byte against the hand-kept list
    # this replaced): the project's routers, then the apps' by their `order`
    assert [prefix for prefix, _router in mounted][:10] == [
        "/auth", "/me", "/verifications", "/ref",
        "/projects", "/auctions", "/settlement", "/deals", "/trading", "/messages",
    ]  # fmt: skip


def test_build_api_gives_the_same_document_as_the_api():
    assert build_api().get_openapi_schema(path_prefix="/api/v1") == api.get_openapi_schema(path_prefix="/api/v1")


def test_every_declared_grant_names_a_role():
    for label, grants in registry.role_grants():
        assert set(grants) <= set(roles.ROLE_BY_KEY), label
        for perms in grants.values():
            assert all(re.fullmatch(r"[a-z_]+\.[a-z_]+", perm) for perm in perms), label


def test_demo_data_is_seeded_in_the_order_it_builds_on():
    order = [label for label, seed in registry.demo_seeders()]
    first = ["brokers", "listings", "settlement", "bidding", "members", "trading", "deals"]
    assert [label for label in order if label in first] == first  # as seed_demo listed them
    for config in registry.exchange_apps():
        for earlier in config.demo.after if config.demo else ():
            assert order.index(earlier) < order.index(config.label)


def test_every_declared_job_and_queue_is_registered():
    names = {job.name for job in schedule.jobs()}
    for config in registry.exchange_apps():
        for job in config.periodic_jobs():
            assert job.task in names, job  # the AppConfig's ready() called super().ready()
        for queue in config.work_queues():
            assert queue.key in work_queues._queues, queue.key


def test_every_panel_has_its_template_and_context():
    slots = {panel.slot for config in registry.exchange_apps() for panel in config.panels}
    assert slots <= {"site.topbar", "listings.project_side", "accounts.center_main", "accounts.center_side"}
    for slot in slots:
        for panel in registry.panels(slot):
            engines["django"].get_template(panel.template)
            if panel.context:
                assert callable(import_string(panel.context))
    # the member centre's cards in the order the page listed them
    first = ["listings/_center_card.html", "brokers/_center_card.html", "members/_center_card.html"]
    assert [p.template for p in registry.panels("accounts.center_side") if p.template in first] == first
    first = ["members/_header_link.html", "settlement/_topbar_link.html", "deals/_topbar_link.html"]
    assert [p.template for p in registry.panels("site.topbar") if p.template in first] == first
    first = ["trading/_center_box.html", "deals/_center_card.html"]
    assert [p.template for p in registry.panels("accounts.center_main") if p.template in first] == first


def test_the_wiring_names_no_business_app():
    """urls.py, api.py, the role matrix, demo seeding and the composed pages list no app."""
    business = [c.label for c in registry.exchange_apps() if c.label not in ("core", "accounts", "portal")]
    wiring = ["urls.py", "api.py", "accounts/roles.py", "portal/demo.py", "core/work_queues.py", "core/schedule.py"]
    for name in wiring:
        text = (SRC / name).read_text()
        named = re.findall(r'(?:from|import) exchange\.(\w+)|"exchange\.(\w+)', text)
        assert not {label for pair in named for label in pair} & set(business), name
    pages = (("base.html", ""), ("accounts/center.html", "accounts"), ("listings/detail.html", "listings"))
    for page, own in pages:
        text = (SRC / "templates" / page).read_text()
        others = set(re.findall(r'{% include "([a-z_]+)/', text)) - {own, "includes"}
        assert not others, page


# --- a new app, through the registry only ------------------------------------------------------
@pytest.fixture
def dummy_installed(settings) -> Iterator[types.ModuleType]:
    """tests.dummy_app in INSTALLED_APPS (Django re-populates the apps and calls every ready()),
    and a URLconf built again the way exchange/urls.py builds it."""
    jobs, queues, site = dict(schedule._jobs), dict(work_queues._queues), admin.site
    settings.INSTALLED_APPS = [*django_settings.INSTALLED_APPS, "tests.dummy_app"]
    # unfold's ready() puts a new, empty admin site in place: keep the one the admin modules filled
    admin.site = sites.site = site
    root = types.ModuleType("dummy_root_urls")
    root.urlpatterns = urls.build_urlpatterns(build_api())  # type: ignore[attr-defined]
    settings.ROOT_URLCONF = root
    yield root
    admin.site = sites.site = site
    schedule._jobs.clear()
    schedule._jobs.update(jobs)
    work_queues._queues.clear()
    work_queues._queues.update(queues)


@pytest.mark.django_db
def test_a_new_app_is_wired_in_by_its_app_config_alone(dummy_installed, client):
    # pages: its URL module is included, its names reverse
    assert reverse("dummy_app:index") == "/dummy-app/"
    assert client.get("/dummy-app/").content.decode() == "演示应用首页"
    # API: its router is mounted after the others, and in the document
    dummy_api = build_api()
    assert [prefix for prefix, _router in dummy_api._routers][-1] == "/dummy-app"
    assert "/api/v1/dummy-app/ping" in dummy_api.get_openapi_schema(path_prefix="/api/v1")["paths"]
    assert TestClient(dummy_api).get("/dummy-app/ping").json() == {"pong": "演示"}
    assert client.get("/api/v1/dummy-app/ping").json() == {"pong": "演示"}
    # grants: merged into the role matrix and given to the group
    assert "core.view_heartbeat" in roles.app_grants()["service"]
    roles.sync_roles()
    assert Group.objects.get(name="客服").permissions.filter(codename="view_heartbeat").exists()
    # jobs and queues: registered by its ready()
    assert "tests.dummy_app.tasks.tick" in {job.name for job in schedule.jobs()}
    superuser = UserFactory(is_staff=True, is_superuser=True)
    assert "演示队列" in {q.label for q in work_queues.queues_for(superuser)}


@pytest.mark.django_db
def test_a_new_app_panel_is_shown_in_its_slot(dummy_installed, client):
    member = UserFactory(name="测试会员")
    client.force_login(member)
    page = client.get("/accounts/center/").content.decode()
    assert "演示面板：测试会员" in page
    # order 25: after 挂牌委托 (brokers, 20), before 消息中心 (members, 30)
    assert page.index('id="mandates-title"') < page.index("演示面板") < page.index('id="inbox-title"')


@pytest.mark.django_db
def test_a_new_app_demo_is_seeded_after_what_it_builds_on(dummy_installed):
    dummy_demo.CALLS.clear()
    summary = seed_demo()
    assert summary["dummy_app.things"] == 1
    assert dummy_demo.CALLS and dummy_demo.CALLS[0] > 0  # listings' demo projects were there
    assert list(summary).index("dummy_app.things") > max(
        i for i, key in enumerate(summary) if key.startswith("listings.")
    )


def test_a_circle_of_demo_dependencies_is_refused(monkeypatch):
    listings = apps.get_app_config("listings")
    monkeypatch.setattr(listings, "demo", registry.Demo("exchange.listings.demo.seed", after=("trading",)))
    with pytest.raises(LookupError, match="circular"):
        registry.demo_seeders()
