"""Health, robots, background work and demo data."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django_tasks_db.models import DBTaskResult

from exchange.accounts.models import User, Verification
from exchange.core.models import Heartbeat
from exchange.portal.demo import DEMO_PASSWORD, demo_accounts
from exchange.portal.models import Article

pytestmark = pytest.mark.django_db


def test_healthz_reports_database_and_heartbeats(client):
    call_command("run_clock", "--once")
    body = client.get("/healthz").json()
    assert body["status"] == "ok" and body["database"] is True
    assert "clock" in body["heartbeats"]


def test_robots_keeps_crawlers_out_of_private_areas(client):
    text = client.get("/robots.txt").content.decode()
    assert "Disallow: /admin/" in text and "Disallow: /accounts/" in text


def test_home_page_is_chinese(client):
    html = client.get("/").content.decode()
    assert 'lang="zh-hans"' in html
    assert "项目大厅" in html and "竞价大厅" in html and "成交公告" in html


def test_english_is_available(client):
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    html = client.get("/").content.decode()
    assert 'lang="en"' in html


@pytest.mark.django_db(
    transaction=True, serialized_rollback=True
)  # the worker closes connections left in a transaction
def test_clock_enqueues_jobs_that_the_worker_runs(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
    call_command("run_clock", "--once")
    assert DBTaskResult.objects.filter(task_path="exchange.core.tasks.worker_heartbeat").exists()
    call_command("db_worker", "--batch", "--no-startup-delay", "--queue-name", "*")
    assert Heartbeat.objects.filter(process="worker").exists()
    assert DBTaskResult.objects.filter(task_path="exchange.core.tasks.worker_heartbeat", status="SUCCESSFUL").exists()


def test_demo_data_is_idempotent_and_logins_work(client):
    call_command("seed_demo")
    counts = (User.objects.count(), Verification.objects.count(), Article.objects.count())
    call_command("seed_demo")
    assert (User.objects.count(), Verification.objects.count(), Article.objects.count()) == counts
    assert User.objects.count() == len(demo_accounts())
    for account in demo_accounts():
        assert User.objects.get(phone=account.phone).check_password(DEMO_PASSWORD), account.phone
    response = client.post("/accounts/login/", {"username": "buyer1@demo.sxcq.cn", "password": DEMO_PASSWORD})
    assert response.status_code == 302
    assert User.objects.filter(verified_at__isnull=False, is_staff=False).count() >= 5
    assert Verification.objects.filter(status="pending").exists()


def test_every_admin_list_has_filters_search_and_export():
    from django.contrib import admin

    from exchange.core.admin_base import ExchangeModelAdmin

    for model, model_admin in admin.site._registry.items():
        label = model._meta.label
        assert isinstance(model_admin, ExchangeModelAdmin), f"{label}: not on the ExchangeModelAdmin base"
        assert model_admin.list_filter, f"{label}: no list filter"
        assert model_admin.search_fields, f"{label}: no search"


def test_user_list_exports_to_excel_without_password_hashes(client):
    import io

    from openpyxl import load_workbook

    from tests.factories import UserFactory

    admin_user = User.objects.create_superuser("13700000000", "root@example.com", "x", name="root")
    UserFactory(name="导出测试会员")
    client.force_login(admin_user)
    page = client.get("/admin/accounts/user/export/")
    form = page.context["form"]
    fields = {name: "on" for name in form.fields if name.startswith("userresource_")}
    response = client.post("/admin/accounts/user/export/", {"format": "0", "resource": "0", **fields})
    assert response.status_code == 200
    assert "spreadsheetml" in response["Content-Type"]
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    header = rows[0]
    assert "password" not in header and "密码" not in header
    assert any("导出测试会员" in (str(v) for v in row) for row in rows[1:])


def _redis_url() -> str:
    import os

    import redis

    url = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.RedisError:
        if os.environ.get("CI") == "true":
            pytest.fail(f"Redis at {url} is required when CI=true")
        pytest.skip(f"Redis not reachable at {url}")
    return url


def test_redis_cache_when_configured(client, settings):
    """With REDIS_URL the cache is Redis, and /healthz checks it."""
    from django.core.cache import cache

    url = _redis_url()
    settings.REDIS_URL = url
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": url}}
    cache.set("probe", "值", timeout=10)
    assert cache.get("probe") == "值"
    body = client.get("/healthz").json()
    assert body["cache"] is True and body["status"] == "ok"
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": "redis://127.0.0.1:1/0"}
    }
    response = client.get("/healthz")
    assert response.status_code == 503 and response.json()["cache"] is False


def test_every_domain_model_is_audited():
    from auditlog.registry import auditlog
    from django.apps import apps

    # liveness pings, token digests and SMS-code salts and digests: no business state
    not_audited = {"core.Heartbeat", "accounts.ApiToken", "accounts.SmsCode"}
    for label in ("core", "accounts", "portal"):
        for model in apps.get_app_config(label).get_models():
            expected = model._meta.label not in not_audited
            assert auditlog.contains(model) == expected, model._meta.label


def test_error_codes_are_unique():
    from exchange.core import errors

    classes = [c for c in vars(errors).values() if isinstance(c, type) and issubclass(c, errors.DomainError)]
    codes = [c.code for c in classes]
    assert len(codes) == len(set(codes))


def test_back_office_speaks_chinese(client):
    admin_user = User.objects.create_superuser("13700000000", "root@example.com", "x", name="root")
    client.force_login(admin_user)
    html = client.get("/admin/").content.decode()
    assert "搜索应用和模型" in html
    assert "实名认证" in html and "工作日历调整" in html


def test_dashboard_shows_reviewers_their_queue(client):
    from tests.factories import UserFactory, submit_verification

    submit_verification(UserFactory(), seq=4)
    client.force_login(UserFactory(role="reviewer"))
    html = client.get("/admin/").content.decode()
    assert "待我处理" in html and "实名认证待审核" in html
    assert "?status__exact=pending" in html
    client.force_login(UserFactory(role="finance"))  # finance does not review identities
    assert "实名认证待审核" not in client.get("/admin/").content.decode()


def test_terms_and_privacy_pages_are_linked_from_registration(client):
    call_command("seed_demo")
    html = client.get("/accounts/register/").content.decode()
    assert "/pages/terms/" in html and "/pages/privacy/" in html
    assert "个人信息保护法" in client.get("/pages/privacy/").content.decode()
    assert client.get("/pages/terms/").status_code == 200


def test_admin_exports_keep_formula_like_names_as_text(client):
    import csv
    import io

    from openpyxl import load_workbook

    from tests.factories import UserFactory

    # given a member whose name is a formula
    admin_user = User.objects.create_superuser("13700000000", "root@example.com", "x", name="root")
    UserFactory(name="=1+2")
    client.force_login(admin_user)
    form = client.get("/admin/accounts/user/export/").context["form"]
    fields = {name: "on" for name in form.fields if name.startswith("userresource_")}
    # when the user list is exported as Excel (format 0) and as CSV (format 1)
    xlsx = client.post("/admin/accounts/user/export/", {"format": "0", "resource": "0", **fields})
    text = client.post("/admin/accounts/user/export/", {"format": "1", "resource": "0", **fields})
    # then Excel holds the name as text, never as a formula, and the CSV cell is neutralised
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    named = [c for row in sheet.iter_rows() for c in row if c.value == "=1+2"]
    assert named and all(c.data_type == "s" and c.quotePrefix for c in named)
    assert not any(c.data_type == "f" for row in sheet.iter_rows() for c in row)
    cells = [cell for row in csv.reader(io.StringIO(text.content.decode("utf-8-sig"))) for cell in row]
    assert "'=1+2" in cells and "=1+2" not in cells
