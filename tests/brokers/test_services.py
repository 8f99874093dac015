"""Broker status (staff review) and mandates (seller's online consent, scope, term, revocation)."""

from __future__ import annotations

import datetime as dt

import pytest
from auditlog.models import LogEntry
from django.contrib.auth.models import Group
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from exchange.brokers import selectors, services
from exchange.brokers.models import BrokerApplication, Mandate, MandateProject
from exchange.core import clock
from exchange.core.errors import DomainError
from exchange.listings import services as listings
from exchange.listings.models import Project
from exchange.members.models import Message
from tests.brokers import factories as bf
from tests.factories import EntityFactory, UserFactory
from tests.listings import factories as lf

pytestmark = pytest.mark.django_db

PARTNER = "合作商户"


def _state() -> tuple[int, ...]:
    return (
        BrokerApplication.objects.count(),
        Mandate.objects.count(),
        MandateProject.objects.count(),
        Project.objects.count(),
        Message.objects.count(),
        Group.objects.get(name=PARTNER).user_set.count(),
    )


def _refused(code: str, call, *args, **kwargs) -> DomainError:  # type: ignore[no-untyped-def]
    before = _state()
    with pytest.raises(DomainError) as err:
        call(*args, **kwargs)
    assert err.value.code == code, err.value.message
    assert _state() == before, "a refusal must write nothing"
    return err.value


def _actions(name: str) -> list[LogEntry]:
    return [e for e in LogEntry.objects.all() if (e.additional_data or {}).get("action") == name]


# --------------------------------------------------------------------------- broker status


def test_a_firm_applies_and_staff_approve_it():
    # given a verified firm
    firm = bf.verified_firm()
    # when it applies with its documents and a reviewer approves
    application = bf.apply(firm)
    assert application.status == BrokerApplication.Status.PENDING
    assert not selectors.is_broker(firm)
    reviewer = bf.reviewer()
    services.broker_approve(application_id=application.pk, actor=reviewer)
    # then it is a broker, holds the 合作商户 role, is notified, and both steps are audited
    application.refresh_from_db()
    assert application.status == BrokerApplication.Status.APPROVED and application.reviewed_by == reviewer
    assert selectors.is_broker(firm)
    assert firm.groups.filter(name=PARTNER).exists()
    assert Message.objects.filter(recipient=firm, kind="account.broker_approved").exists()
    assert _actions("broker.apply") and _actions("broker.approve")


def test_staff_reviewers_are_notified_of_a_request():
    reviewer = bf.reviewer()
    bf.apply()
    assert Message.objects.filter(recipient=reviewer, kind="staff.broker_application").exists()


@pytest.mark.parametrize("case", ["person", "unverified", "name", "uscc", "not_pdf", "fake_pdf", "staff"])
def test_a_request_is_refused_on_bad_input(case):
    from django.core.files.uploadedfile import SimpleUploadedFile

    firm = bf.verified_firm()
    kwargs = {}
    code = "invalid"
    if case == "person":
        firm = UserFactory()
        firm.real_name, firm.verified_at = firm.name, clock.now()
        firm.save()
        code = "permission_denied"
    elif case == "unverified":
        firm = EntityFactory()
        code = "permission_denied"
    elif case == "staff":
        firm = UserFactory(role="reviewer")
        code = "permission_denied"
    elif case == "name":
        kwargs["firm_name"] = "另一家公司"
    elif case == "uscc":
        kwargs["uscc"] = bf.valid_uscc(99999)
    elif case == "not_pdf":
        kwargs["licence"] = SimpleUploadedFile("x.exe", b"MZ....", content_type="application/octet-stream")
    elif case == "fake_pdf":
        kwargs["licence"] = SimpleUploadedFile("x.pdf", b"<html>", content_type="application/pdf")
    before = _state()
    with pytest.raises(DomainError) as err:
        bf.apply(firm, **kwargs)
    assert err.value.code == code
    assert _state() == before


def test_a_second_request_is_refused_while_one_is_pending_or_approved():
    application = bf.apply()
    _refused("conflict", bf.apply, application.user)
    services.broker_approve(application_id=application.pk, actor=bf.reviewer())
    _refused("conflict", bf.apply, application.user)


@pytest.mark.parametrize("who", ["member", "supervisor", "finance", "self_reviewer"])
def test_only_reviewers_decide_and_never_their_own(who):
    application = bf.apply()
    actor = {
        "member": lambda: bf.verified_firm(),
        "supervisor": lambda: UserFactory(role="supervisor"),
        "finance": lambda: UserFactory(role="finance"),
        "self_reviewer": lambda: application.user,
    }[who]()
    _refused("permission_denied", services.broker_approve, application_id=application.pk, actor=actor)
    _refused("permission_denied", services.broker_reject, application_id=application.pk, actor=actor, reason="x")
    application.refresh_from_db()
    assert application.status == BrokerApplication.Status.PENDING


def test_reject_needs_a_reason_and_is_final():
    application = bf.apply()
    reviewer = bf.reviewer()
    _refused("invalid", services.broker_reject, application_id=application.pk, actor=reviewer, reason=" ")
    services.broker_reject(application_id=application.pk, actor=reviewer, reason="资质文件已过期")
    application.refresh_from_db()
    assert application.status == BrokerApplication.Status.REJECTED and application.reason == "资质文件已过期"
    assert Message.objects.filter(recipient=application.user, kind="account.broker_rejected").exists()
    _refused("illegal_transition", services.broker_approve, application_id=application.pk, actor=reviewer)
    assert not selectors.is_broker(application.user)


def test_staff_revoke_a_broker_status_and_it_stops_acting():
    # given a broker acting for a seller on a project
    broker = bf.broker()
    seller = lf.verified_seller()
    m = bf.mandate(broker, seller, category="forest")
    project = listings.project_create(actor=broker, seller=seller, **lf.project_data())
    assert selectors.may_act(broker, project)
    application = BrokerApplication.objects.get(user=broker, status="approved")
    # when staff revoke its status (reason required)
    _refused("invalid", services.broker_revoke, application_id=application.pk, actor=bf.reviewer(), reason="")
    services.broker_revoke(application_id=application.pk, actor=bf.reviewer(), reason="资质被吊销")
    # then it is no broker, loses the role, and may no longer act under the mandate
    assert not selectors.is_broker(broker) and not broker.groups.filter(name=PARTNER).exists()
    assert not selectors.may_act(broker, project)
    assert m.status == Mandate.Status.ACCEPTED


# --------------------------------------------------------------------------- mandates


def test_a_legacy_partner_without_review_cannot_ask_for_a_mandate():
    # given a member in the 合作商户 group without an approved request (self-declared before)
    partner = bf.verified_firm()
    partner.groups.add(Group.objects.get(name=PARTNER))
    seller = lf.verified_seller()
    # when it asks a seller for a mandate, then it is refused
    _refused(
        "not_a_broker", services.mandate_request, broker=partner, seller=seller.phone, subject="代理",
        starts_on=clock.today(), ends_on=clock.today(),
    )  # fmt: skip


def test_the_seller_accepts_and_the_broker_is_told():
    broker, seller = bf.broker(), lf.verified_seller()
    m = bf.mandate(broker, seller, accept=False, category="forest", max_projects=2, may_sign=True)
    assert m.status == Mandate.Status.PENDING
    assert Message.objects.filter(recipient=seller, kind="listing.mandate_requested").exists()
    assert not selectors.mandates_for_filing(broker, seller, "forest")
    services.mandate_accept(mandate_id=m.pk, seller=seller)
    m.refresh_from_db()
    assert m.status == Mandate.Status.ACCEPTED and m.in_force_on(clock.today())
    assert Message.objects.filter(recipient=broker, kind="listing.mandate_accepted").exists()
    assert selectors.mandates_for_filing(broker, seller, "forest") == [m]
    assert _actions("mandate.request") and _actions("mandate.accept")


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"seller": "self"}, "invalid"),
        ({"seller": "13000000000"}, "invalid"),
        ({"seller": "staff"}, "invalid"),
        ({"subject": ""}, "invalid"),
        ({"category": "nonsense"}, "invalid"),
        ({"max_projects": 0}, "invalid"),
        ({"max_projects": 21}, "invalid"),
        ({"starts_on": -1}, "invalid"),
        ({"ends_on": -1}, "invalid"),
        ({"ends_on": 366}, "invalid"),
    ],
)
def test_a_mandate_request_is_refused_on_bad_scope_or_term(change, code):
    broker, seller = bf.broker(), lf.verified_seller()
    today = clock.today()
    kwargs = {"broker": broker, "seller": seller.phone, "subject": "代理挂牌", "category": "", "max_projects": 1,
              "starts_on": today, "ends_on": today + dt.timedelta(days=30)}  # fmt: skip
    for key, value in change.items():
        if key == "seller":
            kwargs["seller"] = {"self": broker.phone, "staff": UserFactory(role="reviewer").phone}.get(value, value)
        elif key in ("starts_on", "ends_on"):
            kwargs[key] = (today if key == "starts_on" else kwargs["starts_on"]) + dt.timedelta(days=value)
        else:
            kwargs[key] = value
    _refused(code, services.mandate_request, **kwargs)


@pytest.mark.parametrize("decision", ["accept", "decline", "revoke"])
def test_only_the_seller_decides_and_someone_elses_mandate_is_not_found(decision):
    broker, seller = bf.broker(), lf.verified_seller()
    m = bf.mandate(broker, seller, accept=decision == "revoke")
    call = {"accept": services.mandate_accept, "decline": services.mandate_decline,
            "revoke": services.mandate_revoke}[decision]  # fmt: skip
    extra = {"reason": "x"} if decision != "accept" else {}
    for stranger in (lf.verified_seller(), broker):
        err = _refused("not_found", call, mandate_id=m.pk, seller=stranger, **extra)
        missing = _refused("not_found", call, mandate_id=m.pk + 999, seller=stranger, **extra)
        assert err.message == missing.message
    _refused("permission_denied", call, mandate_id=m.pk, seller=UserFactory(role="supervisor"), **extra)


def test_decided_mandates_cannot_be_decided_again():
    broker, seller = bf.broker(), lf.verified_seller()
    m = bf.mandate(broker, seller, accept=False)
    services.mandate_decline(mandate_id=m.pk, seller=seller, reason="不需要")
    _refused("illegal_transition", services.mandate_accept, mandate_id=m.pk, seller=seller)
    _refused("illegal_transition", services.mandate_revoke, mandate_id=m.pk, seller=seller, reason="x")
    assert Message.objects.filter(recipient=broker, kind="listing.mandate_declined").exists()


def test_an_unverified_seller_cannot_accept():
    broker, seller = bf.broker(), UserFactory()
    m = bf.mandate(broker, seller, accept=False)
    _refused("permission_denied", services.mandate_accept, mandate_id=m.pk, seller=seller)


def test_the_seller_revokes_with_a_reason_and_the_broker_stops():
    # given a broker with a project filed under an accepted mandate
    broker, seller = bf.broker(), lf.verified_seller()
    m = bf.mandate(broker, seller, may_sign=True)
    project = listings.project_create(actor=broker, seller=seller, **lf.project_data())
    assert selectors.may_act(broker, project) and selectors.may_act(broker, project, sign=True)
    # when the seller revokes (a reason is required)
    _refused("invalid", services.mandate_revoke, mandate_id=m.pk, seller=seller, reason="")
    services.mandate_revoke(mandate_id=m.pk, seller=seller, reason="终止合作")
    # then the broker can do nothing more for the seller, and is told
    assert not selectors.may_act(broker, project) and not selectors.may_act(broker, project, sign=True)
    assert selectors.acting_project_ids(broker) == set()
    assert Message.objects.filter(recipient=broker, kind="listing.mandate_revoked").exists()
    assert _actions("mandate.revoke")
    before = Project.objects.get(pk=project.pk).title
    with pytest.raises(DomainError) as err:
        listings.project_update(project_id=project.pk, actor=broker, title="改名")
    assert err.value.code == "permission_denied"
    assert Project.objects.get(pk=project.pk).title == before
    _refused("no_mandate", listings.project_create, actor=broker, seller=seller, **lf.project_data())


# --------------------------------------------------------------------------- filing a listing


def test_a_broker_files_within_an_accepted_mandate():
    broker, seller = bf.broker(), lf.verified_seller()
    m = bf.mandate(broker, seller, category="forest", max_projects=1)
    project = listings.project_create(actor=broker, seller=seller, **lf.project_data("forest"))
    assert project.seller == seller and project.broker == broker
    assert MandateProject.objects.get(project=project).mandate == m
    assert list(Project.objects.filter(pk__in=selectors.acting_project_ids(broker))) == [project]
    # the broker edits, uploads and submits for the seller while the mandate is in force
    listings.attachment_add(project_id=project.pk, actor=broker, kind="valuation_report", upload=lf.pdf_upload())
    assert listings.project_submit(project_id=project.pk, actor=broker).status == "submitted"


@pytest.mark.parametrize("case", ["pending", "declined", "revoked", "expired", "not_started", "category", "full",
                                  "other_seller", "other_broker"])  # fmt: skip
def test_filing_outside_the_mandate_is_refused(case):
    broker, seller = bf.broker(), lf.verified_seller()
    today = clock.today()
    m = bf.mandate(
        broker, seller, accept=case not in ("pending", "declined"), category="forest", max_projects=1,
        starts_on=today + dt.timedelta(days=3) if case == "not_started" else today, days=5,
    )  # fmt: skip
    actor, target, category = broker, seller, "forest"
    if case == "declined":
        services.mandate_decline(mandate_id=m.pk, seller=seller)
    elif case == "revoked":
        services.mandate_revoke(mandate_id=m.pk, seller=seller, reason="终止")
    elif case == "category":
        category = "equity"
    elif case == "full":
        listings.project_create(actor=broker, seller=seller, **lf.project_data("forest"))
    elif case == "other_seller":
        target = lf.verified_seller()
    elif case == "other_broker":
        actor = bf.broker()
    context = clock.frozen(clock.now() + dt.timedelta(days=6)) if case == "expired" else _nothing()
    with context:
        _refused("no_mandate", listings.project_create, actor=actor, seller=target, **lf.project_data(category))


class _nothing:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    status=st.sampled_from(list(Mandate.Status.values)),
    start=st.integers(-10, 10),
    length=st.integers(0, 20),
    scope=st.sampled_from(["", "forest", "equity"]),
    category=st.sampled_from(["forest", "equity"]),
    used=st.integers(0, 3),
    room=st.integers(1, 3),
)
def test_filing_is_allowed_exactly_inside_an_accepted_unexpired_unrevoked_mandate_of_the_right_scope(
    broker_for_rules, status, start, length, scope, category, used, room
):
    """Property: a broker's filing succeeds iff the mandate is accepted, today is within its
    term, its category covers the project's and it has room left."""
    broker = broker_for_rules
    seller = lf.verified_seller()
    today = clock.today()
    m = Mandate.objects.create(
        broker=broker, seller=seller, subject="代理", category=scope, max_projects=room, may_sign=False,
        starts_on=today + dt.timedelta(days=start), ends_on=today + dt.timedelta(days=start + length), status=status,
        revoke_reason="终止" if status == "revoked" else "",
    )  # fmt: skip
    for _n in range(used):
        other = lf.draft("forest", seller=seller, report=False)
        MandateProject.objects.create(mandate=m, project=other)
    expected = status == "accepted" and start <= 0 <= start + length and scope in ("", category) and used < room
    if expected:
        project = listings.project_create(actor=broker, seller=seller, **lf.project_data(category))
        assert MandateProject.objects.get(project=project).mandate == m
    else:
        _refused("no_mandate", listings.project_create, actor=broker, seller=seller, **lf.project_data(category))


@pytest.fixture
def broker_for_rules(db):  # type: ignore[no-untyped-def]
    return bf.broker()


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    status=st.sampled_from(list(Mandate.Status.values)),
    start=st.integers(-5, 5),
    length=st.integers(0, 10),
    may_sign=st.booleans(),
    sign=st.booleans(),
)
def test_acting_on_a_project_follows_the_mandate(broker_for_rules, status, start, length, may_sign, sign):
    """Property: may_act(broker, project, sign) ⇔ mandate in force today and (not sign or may_sign)."""
    broker = broker_for_rules
    seller = lf.verified_seller()
    today = clock.today()
    m = Mandate.objects.create(
        broker=broker, seller=seller, subject="代理", max_projects=1, may_sign=may_sign,
        starts_on=today + dt.timedelta(days=start), ends_on=today + dt.timedelta(days=start + length), status=status,
        revoke_reason="终止" if status == "revoked" else "",
    )  # fmt: skip
    project = lf.draft("forest", seller=seller, report=False)
    bf.link(m, project)
    expected = status == "accepted" and start <= 0 <= start + length and (not sign or may_sign)
    assert selectors.may_act(broker, project, sign=sign) == expected
    assert m.in_force_on(today) == (status == "accepted" and start <= 0 <= start + length)
