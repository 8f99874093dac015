"""Shared fixtures. Test runs use a fast password hasher (argon2 is slow by design)."""

from __future__ import annotations

import os
from collections.abc import Callable

import pytest

os.environ.setdefault("FAST_PASSWORD_HASHER", "1")

from tests.factories import UserFactory

IN_CI = os.environ.get("CI") == "true"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Every transactional test must restore the migrated data (serialized_rollback).

    A transactional test ends with a flush. Without serialized_rollback that flush drops the
    data migrations (regions) and re-creates the role groups under new ids, so whichever test
    runs next on that worker (the order differs between runs) fails or loads duplicates.
    """
    offenders = []
    for item in items:
        names = getattr(item, "fixturenames", ())
        marker = item.get_closest_marker("django_db")
        kwargs = marker.kwargs if marker else {}
        transactional = "transactional_db" in names or "live_server" in names or kwargs.get("transaction")
        serialized = "django_db_serialized_rollback" in names or kwargs.get("serialized_rollback")
        if transactional and not serialized:
            offenders.append(item.nodeid)
    if offenders:
        raise pytest.UsageError(
            "transactional tests without serialized_rollback=True (or the django_db_serialized_rollback"
            " fixture): " + ", ".join(offenders)
        )


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):  # uploads of a test never land in var/media
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _plain_static_storage(settings):
    """No collectstatic in tests: serve assets from the finders without the manifest."""
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture(autouse=True)
def _locmem_email(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


@pytest.fixture(autouse=True)
def _immediate_tasks(settings):
    """Tasks run inline in tests unless a test asks for the real database queue."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture(autouse=True)
def _fresh_content_type_cache():
    """A transactional test that ran before (live server, races) may have flushed the
    database and reloaded it with new ids (serialized_rollback); ContentType's in-process
    cache would then hand the audit trail ids that no longer exist. Start every test with an
    empty cache (it refills from the database)."""
    from django.contrib.contenttypes.models import ContentType

    ContentType.objects.clear_cache()


@pytest.fixture
def member(db):
    return UserFactory()


@pytest.fixture
def staff_with_role(db) -> Callable[[str], object]:
    def make(role_key: str):
        return UserFactory(role=role_key)

    return make


@pytest.fixture
def reviewer(staff_with_role):
    return staff_with_role("reviewer")
