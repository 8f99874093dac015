"""Shared fixtures. Test runs use a fast password hasher (argon2 is slow by design)."""

from __future__ import annotations

import os
from collections.abc import Callable

import pytest

os.environ.setdefault("FAST_PASSWORD_HASHER", "1")

from tests.factories import UserFactory

IN_CI = os.environ.get("CI") == "true"


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
