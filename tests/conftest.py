"""Shared fixtures. Test runs use a fast password hasher (argon2 is slow by design)."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import Any

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


@pytest.fixture(scope="session", autouse=True)
def _fast_serialized_rollback() -> Iterator[None]:
    """Restore the migrated data (serialized_rollback) with one INSERT per table and batch.

    Django's own restore saves the 3,500 rows (regions, permissions, groups, fee bands) one by
    one, an UPDATE and an INSERT each plus the post_save signal, on which django-auditlog
    writes a LogEntry for every audited row (3,200 for the regions alone): ≈2.8 s at the start
    of every transactional test, most of a live-server test's setup. Into the empty tables the
    previous transactional test's flush left, this writes the same rows with the same values
    (raw, as `save(raw=True)` does) and the same many-to-many links in one transaction, the
    constraints checked at its end; the audit trail stays as the migrations left it (no
    entries), as in every other test. Tables that still hold rows (the first transactional
    test of a worker) get Django's restore, which updates them in place."""
    from django.db.backends.base.creation import BaseDatabaseCreation

    django_restore = BaseDatabaseCreation.deserialize_db_from_string

    def restore(creation: Any, data: str) -> None:
        if not _restore_into_empty_tables(creation.connection, data):
            django_restore(creation, data)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(BaseDatabaseCreation, "deserialize_db_from_string", restore)
        yield


# the serialized contents, parsed once per process: {model: (rows, [(m2m field, pk, linked pks)])}
_PARSED: dict[str, dict[type, tuple[list[Any], list[tuple[Any, Any, list[Any]]]]]] = {}


def _restore_into_empty_tables(connection: Any, data: str) -> bool:
    """Insert the serialized rows; False (nothing written) when one of their tables is not empty."""
    from django.core import serializers
    from django.db import transaction

    alias = connection.alias
    parsed = _PARSED.get(data)
    if parsed is None:
        parsed = {}
        for item in serializers.deserialize("json", data, using=alias):
            obj = item.object
            rows, links = parsed.setdefault(type(obj), ([], []))
            rows.append(obj)
            for name, pks in (item.m2m_data or {}).items():
                links.append((obj._meta.get_field(name), obj.pk, list(pks)))
        _PARSED[data] = parsed
    with transaction.atomic(using=alias):
        if any(model._base_manager.using(alias).exists() for model in parsed):
            return False
        with connection.constraint_checks_disabled():
            for model, (rows, _links) in parsed.items():
                fields = model._meta.local_concrete_fields
                size = connection.ops.bulk_batch_size(fields, rows) or len(rows)
                for start in range(0, len(rows), size):
                    model._base_manager.using(alias)._insert(rows[start : start + size], fields=fields, raw=True)
            for _rows, links in parsed.values():
                for field, pk, targets in links:
                    through = field.remote_field.through
                    source = through._meta.get_field(field.m2m_field_name()).attname
                    target = through._meta.get_field(field.m2m_reverse_field_name()).attname
                    through._base_manager.using(alias).bulk_create(
                        [through(**{source: pk, target: t}) for t in targets]
                    )
        connection.check_constraints(table_names=[model._meta.db_table for model in parsed])
    return True


@pytest.fixture(autouse=True)
def _default_language() -> Iterator[None]:
    """Every test starts in the site's default language (Chinese). A request through the test
    client leaves the language LocaleMiddleware activated on the thread (English after
    /i18n/setlang/), and code that runs outside a request — a service rendering a notice, a
    rejection's message — would speak it in whichever test the worker runs next."""
    from django.conf import settings
    from django.utils import translation

    with translation.override(settings.LANGUAGE_CODE):
        yield


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
def _sms_files(settings, tmp_path):  # the file SMS backend of a test never writes into var/sms
    settings.NOTIFY_SMS_FILE_DIR = str(tmp_path / "sms")


@pytest.fixture(autouse=True)
def _locmem_email(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


@pytest.fixture(autouse=True)
def _immediate_tasks(settings):
    """Tasks run inline in tests unless a test asks for the real database queue."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture(autouse=True)
def _empty_cache():
    """Every test starts with an empty cache: the login, registration and password-reset rate
    limits count in it (exchange.core.ratelimit), and an earlier test's failures must not
    refuse this test's logins."""
    from django.core.cache import cache

    cache.clear()


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
