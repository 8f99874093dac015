"""The read-only supervisor (监管) performs no POST action anywhere.

`tests/test_access_matrix.py` checks who may *see* each page. Here the supervisor posts
every state-changing action of listings, trading, deals and brokers — the staff pages'
decisions, the member pages' actions, the back office's review page — on objects in the
states where each action would work for someone allowed, and nothing may change: no
audit entry, no notice, no message, no follow, the objects untouched.
"""

from __future__ import annotations

import datetime as dt
import importlib
from decimal import Decimal

import pytest
from auditlog.models import LogEntry
from django.apps import apps

from exchange.core import clock
from exchange.core.errors import PermissionDenied
from exchange.listings import services as listings
from exchange.listings.models import Follow, Notice, Project
from exchange.members.models import Message
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(db):  # type: ignore[no-untyped-def]
    from exchange.trading import services as trading
    from tests.deals import factories as df
    from tests.listings import factories as lf
    from tests.trading import factories as tf

    for name in ("0002_ledger_guards_and_reference_data", "0004_agreement_fee_schedules"):
        importlib.import_module(f"exchange.settlement.migrations.{name}").seed(apps, None)
    in_review = lf.submitted()
    disclosed = tf.project()
    trading.terms_update(project_id=disclosed.pk, actor=tf.reviewer(), seller_opinion_required=True)
    application = tf.apply(disclosed)
    draft = trading.draft_upload(project_id=disclosed.pk, member=tf.buyer(), kind="id_proof", upload=tf.pdf())
    question = listings.question_ask(project_id=disclosed.pk, actor=tf.buyer(), body="可以实地查看吗？")
    change = listings.change_propose(
        project_id=disclosed.pk, actor=disclosed.seller, changes={"payment_terms": "分期付款"}, reason="调整"
    )
    scheduled = lf.approved()
    wrong_end = scheduled.disclosure_end + dt.timedelta(days=40)  # type: ignore[operator]
    Project.objects.filter(pk=scheduled.pk).update(dates_provisional=True, disclosure_end=wrong_end)
    deal = df.deal()
    signed = df.deal()
    df.signed(signed)
    world = {
        "in_review": in_review, "disclosed": disclosed, "application": application, "question": question,
        "change": change, "scheduled": scheduled, "deal": deal, "signed": signed, "draft": draft,
    }  # fmt: skip
    if apps.is_installed("exchange.brokers"):
        from tests.brokers import factories as bf

        world["broker_request"] = bf.apply()
        world["mandate"] = bf.mandate(bf.broker(), lf.verified_seller(), accept=False)
    return world


def _snapshot() -> tuple[object, ...]:
    from exchange.deals.models import Deal
    from exchange.trading.models import Application, MaterialDraft, TradingTerms

    brokers: tuple[object, ...] = ()
    if apps.is_installed("exchange.brokers"):
        from exchange.brokers.models import BrokerApplication, Mandate

        brokers = (
            sorted(BrokerApplication.objects.values_list("pk", "status")),
            sorted(Mandate.objects.values_list("pk", "status")),
        )
    return (
        *brokers,
        LogEntry.objects.count(),
        Notice.objects.count(),
        sorted(Notice.objects.values_list("pk", "withdrawn_at")),
        Message.objects.count(),
        Follow.objects.count(),
        sorted(Project.objects.values_list("pk", "status", "disclosure_end", "dates_provisional", "current_step")),
        sorted(Application.objects.values_list("pk", "status", "seller_opinion")),
        sorted(MaterialDraft.objects.values_list("pk", "member_id", "file")),
        sorted(TradingTerms.objects.values_list("pk", "seller_opinion_required", "on_no_buyer")),
        sorted(Deal.objects.values_list("pk", "status", "seller_signed_at", "buyer_signed_at")),
    )


def _posts(w: dict) -> list[tuple[str, dict]]:  # type: ignore[type-arg]
    d, r, s = w["disclosed"].pk, w["in_review"].pk, w["scheduled"].pk
    app, q, deal, signed = w["application"].pk, w["question"].pk, w["deal"].pk, w["signed"].pk
    today = clock.today()
    staff = f"/staff/listings/{d}/"
    return [
        *_broker_posts(w, today),
        # listings: the staff project page, every action
        (f"/staff/listings/{r}/", {"action": "review", "decision": "approve", "comment": "同意"}),
        (f"/staff/listings/{r}/", {"action": "review", "decision": "reject", "comment": "不同意"}),
        (staff, {"action": "review_change", "change": w["change"].pk, "decision": "approve"}),
        (staff, {"action": "extend"}),
        (staff, {"action": "relist", "floor_price": "900000"}),
        (staff, {"action": "suspend", "reason": "核查", "until": (today + dt.timedelta(days=5)).isoformat()}),
        (staff, {"action": "resume"}),
        (staff, {"action": "terminate", "reason": "终结"}),
        (staff, {"action": "clarification", "title": "澄清", "body": "澄清内容"}),
        (staff, {"action": "qa_notice"}),
        (f"/staff/listings/{s}/", {"action": "recompute"}),
        (staff, {"action": "withdraw_notice", "notice": w["disclosed"].notices.first().pk, "reason": "撤回"}),
        # listings: member-side actions
        (f"/projects/{d}/follow/", {}),
        (f"/projects/{d}/questions/", {"body": "监管提问测试"}),
        (f"/questions/{q}/answer/", {"body": "监管回答测试"}),
        (f"/questions/{q}/moderate/", {"publish": "1"}),
        (f"/my/projects/{d}/", {"action": "withdraw"}),
        (f"/my/projects/{r}/", {"action": "withdraw"}),
        (f"/my/projects/{d}/", {"action": "change", "field": "payment_terms", "value": "x", "reason": "y"}),
        (f"/my/projects/{r}/edit/", {"title": "改名"}),
        ("/my/projects/new/?category=forest", {"title": "监管挂牌", "seller_phone": w["in_review"].seller.phone}),
        # trading
        (f"/trading/staff/applications/{app}/", {"decision": "qualify"}),
        (f"/trading/staff/projects/{d}/terms/", {"on_no_buyer": "terminate", "increment": "100",
                                                 "countdown_seconds": "1", "free_period_seconds": "1",
                                                 "window_seconds": "1", "extension_seconds": "1"}),
        (f"/trading/seller/applications/{app}/opinion/", {"agree": "1"}),
        (f"/trading/applications/{app}/withdraw/", {"reason": "x"}),
        (f"/trading/projects/{d}/apply/", {"accept_commitment": "on", "bid_floor": "2000000"}),
        (f"/trading/projects/{d}/drafts/", {"kind": "id_proof", "file": _pdf()}),
        (f"/trading/drafts/{w['draft'].pk}/remove/", {}),
        (f"/trading/projects/{d}/apply/", {"draft_id_proof": w["draft"].pk, "remove_draft": w["draft"].pk}),
        # deals
        (f"/deals/me/{deal}/sign/", {"side": "seller"}),
        (f"/deals/staff/{signed}/review/", {"decision": "approve"}),
        (f"/deals/staff/{signed}/review/", {"decision": "return", "reason": "退回"}),
        (f"/deals/staff/{deal}/payment/", {"amount": "1000", "reference": "TXN-1"}),
        (f"/deals/staff/{deal}/default/", {"reason": "悔拍"}),
        (f"/deals/staff/{deal}/relist/", {"floor_price": "900000"}),
        (f"/deals/staff/{deal}/certificate/", {}),
        (f"/deals/staff/{deal}/certificate/revoke/", {"reason": "x"}),
    ]  # fmt: skip


def _pdf():  # type: ignore[no-untyped-def]
    from tests.trading import factories as tf

    return tf.pdf()


def _broker_posts(w: dict, today: dt.date) -> list[tuple[str, dict]]:  # type: ignore[type-arg]
    if "mandate" not in w:
        return []
    return [
        (f"/admin/brokers/brokerapplication/{w['broker_request'].pk}/review/", {"decision": "approve"}),
        (f"/admin/brokers/brokerapplication/{w['broker_request'].pk}/review/", {"decision": "reject", "reason": "x"}),
        (f"/brokers/mandates/{w['mandate'].pk}/accept/", {}),
        ("/brokers/mandates/", {"seller": w["in_review"].seller.phone, "subject": "代理", "max_projects": "1",
                                "starts_on": today.isoformat(), "ends_on": today.isoformat()}),
        ("/brokers/apply/", {"firm_name": "x", "uscc": "x"}),
    ]  # fmt: skip


def test_the_supervisor_cannot_perform_any_post_action(client, world):
    # given the supervisor, logged in, and objects in states where each action would work
    supervisor = UserFactory(role="supervisor")
    client.force_login(supervisor)
    before = _snapshot()
    # when it posts every action
    answers = []
    for url, data in _posts(world):
        response = client.post(url, data)
        answers.append((url, data.get("action") or data.get("decision") or "", response.status_code))
        assert response.status_code < 500, (url, data)
        # then nothing changed
        assert _snapshot() == before, f"POST {url} {data} changed something"
    odd = [a for a in answers if a[2] not in (200, 302, 403, 404, 405)]  # 200: a form shown again with the error
    assert not odd, odd


def test_the_supervisor_cannot_recompute_dates_through_the_service(world):
    # given a scheduled project whose provisional dates would be recomputed
    project = world["scheduled"]
    project.refresh_from_db()
    supervisor, manager = UserFactory(role="supervisor"), UserFactory(role="manager")
    before = (project.disclosure_end, project.dates_provisional, LogEntry.objects.count())
    # when the supervisor calls the service, then it is refused and nothing changes
    with pytest.raises(PermissionDenied):
        listings.project_dates_recompute(project_id=project.pk, actor=supervisor)
    project.refresh_from_db()
    assert (project.disclosure_end, project.dates_provisional, LogEntry.objects.count()) == before
    # while a manager (listings.manage_disclosure) may
    listings.project_dates_recompute(project_id=project.pk, actor=manager)
    project.refresh_from_db()
    assert project.disclosure_end != before[0]


@pytest.mark.parametrize(
    "call",
    ["notice_publish", "project_trade_move", "deal_open", "deal_close", "deal_relist", "deal_payment_record"],
)
def test_system_and_staff_only_services_refuse_a_supervisor(world, call):
    from exchange.deals import services as deals

    supervisor = UserFactory(role="supervisor")
    d, deal = world["disclosed"], world["deal"]
    before = _snapshot()
    calls = {
        "notice_publish": lambda: listings.notice_publish(project_id=d.pk, kind="clarification", actor=supervisor),
        "project_trade_move": lambda: listings.project_trade_move(project_id=d.pk, to="bidding", actor=supervisor),
        "deal_open": lambda: deals.deal_open(
            project_id=d.pk, buyer_id=world["application"].applicant_id, price=Decimal("2000000"), kind="agreement",
            actor=supervisor,
        ),
        "deal_close": lambda: deals.deal_close(deal_id=deal.pk, actor=supervisor),
        "deal_relist": lambda: deals.deal_relist(deal_id=deal.pk, actor=supervisor, floor_price=Decimal("900000")),
        "deal_payment_record": lambda: deals.deal_payment_record(
            deal_id=deal.pk, amount=Decimal("1"), reference="TXN-9", actor=supervisor
        ),
    }  # fmt: skip
    with pytest.raises(PermissionDenied):
        calls[call]()
    assert _snapshot() == before
