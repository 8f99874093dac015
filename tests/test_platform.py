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
