"""Property test: no sequence of actions by anyone reaches an illegal project state, and
every refused action changes nothing (hypothesis rule-based state machine)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.forms.models import model_to_dict
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from exchange.core import clock
from exchange.core.errors import DomainError
from exchange.listings import services
from exchange.listings.models import (
    OPEN_STATUSES,
    PUBLIC_STATUSES,
    Attachment,
    Notice,
    Project,
    ProjectChange,
    ProjectReview,
    Status,
)
from tests.factories import UserFactory
from tests.listings import factories as f

pytestmark = pytest.mark.django_db

START = dt.datetime(2026, 9, 14, 10, 0)  # runs through 国庆 and into the provisional 2027


def _state(project_id: int) -> tuple:
    project = Project.objects.get(pk=project_id)
    return (
        model_to_dict(project),
        project.code,
        tuple(Notice.objects.filter(project_id=project_id).values_list("pk", "published_at", "body")),
        ProjectReview.objects.filter(project_id=project_id).count(),
        tuple(ProjectChange.objects.filter(project_id=project_id).values_list("pk", "status", "current_step")),
        Attachment.objects.filter(project_id=project_id).count(),
    )


class ProjectLifecycle(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.now = START
        self.seller = f.verified_seller()
        self.actors = {
            "seller": self.seller,
            "reviewer": UserFactory(role="reviewer"),
            "reviewer2": UserFactory(role="reviewer"),
            "manager": UserFactory(role="manager"),
            "operations": UserFactory(role="operations"),
            "member": UserFactory(),
        }
        self.consent_id: int | None = None

    @initialize(start=st.sampled_from(["draft", "submitted", "scheduled", "disclosed"]))
    def create(self, start: str) -> None:
        with clock.frozen(self.now):
            project = f.draft("forest", seller=self.seller)
            if start != "draft":
                services.project_submit(project_id=project.pk, actor=self.seller)
            if start in ("scheduled", "disclosed"):
                services.project_review(project_id=project.pk, actor=self.actors["reviewer"], decision="approve")
                services.project_review(project_id=project.pk, actor=self.actors["manager"], decision="approve")
        if start == "disclosed":
            self.now += dt.timedelta(days=3)
            with clock.frozen(self.now):
                services.listings_tick()
        self.pk = project.pk
        self.last_status = Project.objects.get(pk=self.pk).status

    # -- helpers
    def _do(self, call) -> None:  # type: ignore[no-untyped-def]
        before = _state(self.pk)
        with clock.frozen(self.now):
            try:
                call()
            except DomainError:
                assert _state(self.pk) == before, "a refused action changed something"

    actor = st.sampled_from(
        ["seller", "reviewer", "reviewer2", "manager", "manager", "manager", "operations", "member"]
    )

    # -- rules
    @rule(days=st.sampled_from([0, 1, 3, 7, 15, 30]), hours=st.sampled_from([0, 5, 8, 16]))
    def time_passes(self, days: int, hours: int) -> None:
        self.now += dt.timedelta(days=days, hours=hours)
        with clock.frozen(self.now):
            services.listings_tick()

    @rule(who=actor, floor=st.sampled_from(["900000", "1000000", "1200000"]), wd=st.integers(5, 25))
    def edit(self, who: str, floor: str, wd: int) -> None:
        self._do(
            lambda: services.project_update(
                project_id=self.pk, actor=self.actors[who], floor_price=Decimal(floor), disclosure_wd=wd
            )
        )

    @rule(who=actor)
    def submit(self, who: str) -> None:
        self._do(lambda: services.project_submit(project_id=self.pk, actor=self.actors[who]))

    @rule(who=actor, decision=st.sampled_from(["approve", "approve", "approve", "return", "reject"]),
          comment=st.sampled_from(["", "请补充材料"]))  # fmt: skip
    def review(self, who: str, decision: str, comment: str) -> None:
        self._do(
            lambda: services.project_review(
                project_id=self.pk, actor=self.actors[who], decision=decision, comment=comment
            )
        )

    @rule(who=actor)
    def extend(self, who: str) -> None:
        self._do(lambda: services.project_extend(project_id=self.pk, actor=self.actors[who]))

    @rule(who=actor, floor=st.sampled_from(["700000", "850000", "900000", "1000000"]), consent=st.booleans())
    def relist(self, who: str, floor: str, consent: bool) -> None:
        self._do(
            lambda: services.project_relist(
                project_id=self.pk,
                actor=self.actors[who],
                floor_price=Decimal(floor),
                consent_attachment_id=self.consent_id if consent else None,
            )
        )

    @rule()
    def upload_consent(self) -> None:
        def call() -> None:
            doc = services.attachment_add(
                project_id=self.pk, actor=self.seller, kind="approval_document", upload=f.pdf_upload("consent.pdf")
            )
            self.consent_id = doc.pk

        self._do(call)

    @rule(who=actor, days=st.integers(min_value=-1, max_value=35))
    def suspend(self, who: str, days: int) -> None:
        until = self.now.date() + dt.timedelta(days=days)
        self._do(
            lambda: services.project_suspend(project_id=self.pk, actor=self.actors[who], reason="涉诉", until=until)
        )

    @rule(who=actor)
    def resume(self, who: str) -> None:
        self._do(lambda: services.project_resume(project_id=self.pk, actor=self.actors[who]))

    @rule(choice=st.sampled_from(["extend", "relist", "relist_cut", "resume"]))
    def manager_handles(self, choice: str) -> None:
        manager = self.actors["manager"]
        if choice == "extend":
            self._do(lambda: services.project_extend(project_id=self.pk, actor=manager))
        elif choice == "resume":
            self._do(lambda: services.project_resume(project_id=self.pk, actor=manager))
        else:
            floor = Decimal("800000") if choice == "relist_cut" else Decimal("950000")
            self._do(
                lambda: services.project_relist(
                    project_id=self.pk, actor=manager, floor_price=floor, consent_attachment_id=self.consent_id
                )
            )

    @rule()
    def seller_submits(self) -> None:
        self._do(lambda: services.project_submit(project_id=self.pk, actor=self.seller))

    @rule()
    def right_reviewer_approves(self) -> None:
        step = Project.objects.get(pk=self.pk).current_step
        who = "manager" if step == "final" else "reviewer"
        self._do(lambda: services.project_review(project_id=self.pk, actor=self.actors[who], decision="approve"))

    @precondition(lambda self: getattr(self, "last_status", Status.DRAFT) != Status.DRAFT)
    @rule(who=actor, dice=st.integers(0, 5))
    def terminate(self, who: str, dice: int) -> None:
        if dice:
            return
        self._do(lambda: services.project_terminate(project_id=self.pk, actor=self.actors[who], reason="撤回"))

    @rule(who=actor, text=st.sampled_from(["分期付款", "一次性付款"]))
    def propose_change(self, who: str, text: str) -> None:
        self._do(
            lambda: services.change_propose(
                project_id=self.pk, actor=self.actors[who], changes={"payment_terms": text}, reason="调整"
            )
        )

    @rule(who=actor, decision=st.sampled_from(["approve", "reject"]))
    def review_change(self, who: str, decision: str) -> None:
        change = ProjectChange.objects.filter(project_id=self.pk, status="pending").first()
        if change is None:
            return
        self._do(lambda: services.change_review(change_id=change.pk, actor=self.actors[who], decision=decision,
                                                comment="不同意"))  # fmt: skip

    # -- invariants
    @invariant()
    def legal_state(self) -> None:
        p = Project.objects.get(pk=self.pk)
        assert p.status == self.last_status or p.status in services.TRANSITIONS[self.last_status], (
            f"{self.last_status} → {p.status}"
        )
        self.last_status = p.status
        assert p.extension_cycles <= p.max_extension_cycles
        if p.status != Status.DRAFT:
            assert p.code and p.code.startswith("LQ")
        if p.status in PUBLIC_STATUSES and p.first_disclosed_at is not None:
            assert p.is_public
        if p.status in (*OPEN_STATUSES, Status.SUSPENDED, Status.DISCLOSURE_ENDED):
            assert p.first_disclosed_at is not None and p.disclosure_start and p.disclosure_end and p.ends_at
            assert Notice.objects.filter(
                project=p, kind__in=["listing", "relisting"], published_at__isnull=False
            ).exists()
        if p.status == Status.DISCLOSURE_ENDED:
            assert p.ends_at <= clock.now() or p.ends_at <= self._aware_now()
        if p.status == Status.SUSPENDED:
            assert p.suspended_from in (Status.DISCLOSURE, Status.EXTENDED)
        if p.status not in (Status.DRAFT, Status.RETURNED) and p.round == 1:
            assert p.floor_price >= p.valuation
            min_formal, _total = services.minimum_periods(p.category, p.floor_price)
            assert p.disclosure_wd >= min_formal
        if p.round > 1 and p.floor_price < p.valuation * Decimal("0.9"):
            assert p.attachments.filter(kind="approval_document").exists()
        assert ProjectChange.objects.filter(project=p, status="pending").count() <= 1
        assert not Notice.objects.filter(project=p, published_at__gt=self._aware_now()).exists()

    def _aware_now(self) -> dt.datetime:
        from django.utils import timezone

        return timezone.make_aware(self.now)


def test_no_action_sequence_reaches_an_illegal_state():
    run_state_machine_as_test(
        ProjectLifecycle,
        settings=settings(
            max_examples=40,
            stateful_step_count=40,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
        ),
    )
