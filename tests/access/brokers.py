"""The brokers app's part of the access matrix (see tests/test_access_matrix.py)."""

from __future__ import annotations

from exchange.accounts.models import User
from tests.access.checks import ANON, Check, World, _has, _is_staff, _login_page

# Written only by services (members' pages, the review page): the back office reads.
NO_ADD = {"brokers.brokerapplication", "brokers.mandate", "brokers.mandateproject"}
NO_CHANGE = set(NO_ADD)
NO_DELETE = set(NO_ADD)

_ids: dict[str, int] = {}


def objects(users: dict[str, User | None]) -> dict[str, object]:
    """An approved broker with a mandate and a project filed under it."""
    from exchange.brokers.models import BrokerApplication, MandateProject
    from exchange.listings import services as listings
    from tests.brokers import factories as bf
    from tests.listings import factories as lf

    broker = bf.broker()
    seller = lf.verified_seller()
    mandate = bf.mandate(broker, seller)
    project = listings.project_create(actor=broker, seller=seller, **lf.project_data())
    application = BrokerApplication.objects.get(user=broker)
    _ids.update(application=application.pk, mandate=mandate.pk)
    return {
        "brokers.brokerapplication": application.pk,
        "brokers.mandate": mandate.pk,
        "brokers.mandateproject": MandateProject.objects.get(project=project).pk,
    }


def site_checks(w: World) -> dict[str, Check]:
    application, mandate = _ids["application"], _ids["mandate"]

    def document(actor: str) -> int:  # the firm's own documents, and staff who see the requests
        return 302 if actor == ANON else (200 if _has(actor, "brokers.view_brokerapplication") else 404)

    return {
        "brokers:apply": _login_page("/brokers/apply/"),
        "brokers:document": Check("GET", f"/brokers/applications/{application}/licence/", document),
        "brokers:mandates_given": _login_page("/brokers/mandates/"),
        "brokers:mandates_received": _login_page("/brokers/mandates/received/"),
        "brokers:mandate_decide": Check(
            "GET", f"/brokers/mandates/{mandate}/accept/", lambda a: 302 if a == ANON else 405
        ),  # POST only, and only the mandate's seller (tests/brokers/test_views.py)
    }


def admin_checks(w: World) -> dict[str, Check]:
    application = _ids["application"]

    def review(actor: str) -> int:
        if not _is_staff(actor):
            return 302
        return 200 if _has(actor, "brokers.review_brokerapplication") else 403

    return {
        "admin:brokers_brokerapplication_review": Check(
            "GET", f"/admin/brokers/brokerapplication/{application}/review/", review
        ),
    }
