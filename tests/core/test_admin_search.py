"""The back office's audit log search (django-auditlog's admin, rebased in core.admin)."""

from __future__ import annotations

import pytest
from auditlog.models import LogEntry

from exchange.accounts import services
from tests.factories import UserFactory, registration


@pytest.mark.django_db
@pytest.mark.parametrize("query", ["x", "陈明", "13912345678", "chen@example.com"])
def test_audit_log_search_answers_for_any_query(client, query):
    # given: a superuser and an audited registration by 陈明
    admin = UserFactory(is_staff=True, is_superuser=True)
    services.member_register(**registration())
    client.force_login(admin)
    # when
    response = client.get("/admin/auditlog/logentry/", {"q": query})
    # then: a page, not a 500 (the package's search named fields our user model lacks)
    assert response.status_code == 200


@pytest.mark.django_db
def test_audit_log_search_finds_entries_by_actor(client):
    # given: an entry attributed to a reviewer, and one without actor
    reviewer = UserFactory(role="reviewer", name="审核员王五", phone="13800000077")
    admin = UserFactory(is_staff=True, is_superuser=True)
    from exchange.core import audit

    with audit.action(reviewer, "test.touch"):
        UserFactory(name="被修改者")
    client.force_login(admin)
    # when
    by_name = client.get("/admin/auditlog/logentry/", {"q": "王五"})
    by_phone = client.get("/admin/auditlog/logentry/", {"q": "13800000077"})
    # then
    expected = set(LogEntry.objects.filter(actor=reviewer).values_list("pk", flat=True))
    assert expected
    for response in (by_name, by_phone):
        found = {e.pk for e in response.context["cl"].result_list}
        assert expected <= found
