"""The listings services: application, approval, disclosure calendar and after-disclosure moves."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.forms.models import model_to_dict

from exchange.core import clock
from exchange.core.errors import DomainError, IllegalTransition, InvalidInput, PermissionDenied
from exchange.core.models import HolidayOverride
from exchange.listings import services
from exchange.listings.models import Attachment, Notice, Project, ProjectReview, Status
from tests.factories import UserFactory
from tests.listings import factories as f

pytestmark = pytest.mark.django_db

D = dt.date


def snapshot(project: Project) -> tuple:
    project = Project.objects.get(pk=project.pk)
    return (
        model_to_dict(project),
        project.status,
        project.code,
        Notice.objects.filter(project=project).count(),
        ProjectReview.objects.filter(project=project).count(),
        Attachment.objects.filter(project=project).count(),
    )


def refused(project: Project, call, exc=DomainError) -> DomainError:  # type: ignore[no-untyped-def]
    before = snapshot(project)
    with pytest.raises(exc) as err:
        call()
    assert snapshot(project) == before, "a refusal changed something"
    return err.value


# --------------------------------------------------------------------------- application


def test_seller_drafts_submits_and_gets_a_code_per_category():
    # given
    with clock.frozen(f.at(D(2026, 3, 2))):
        equity = f.draft("equity")
        forest = f.draft("forest")
        # when
        services.project_submit(project_id=equity.pk, actor=equity.seller)
        services.project_submit(project_id=forest.pk, actor=forest.seller)
    # then
    equity.refresh_from_db()
    forest.refresh_from_db()
    assert equity.code == "GQ2026-0001" and forest.code == "LQ2026-0001"
    assert equity.status == forest.status == Status.SUBMITTED
    assert forest.current_step == "initial"
    assert forest.unit_price == Decimal("833.33") and forest.unit_price_unit == "元/亩"


def test_missing_category_attribute_is_refused_and_nothing_changes():
    project = f.draft("forest", attributes={"area_mu": "100", "species": "油松", "term_years": 30})
    err = refused(project, lambda: services.project_submit(project_id=project.pk, actor=project.seller))
    assert "林权证号" in err.message and err.data["field"] == "attr_certificate_no"


def test_bad_attribute_values_are_refused_at_create():
    seller = f.verified_seller()
    with pytest.raises(InvalidInput):
        services.project_create(actor=seller, **f.project_data("forest", attributes={"area_mu": "很多"}))
    with pytest.raises(InvalidInput):
        services.project_create(actor=seller, **f.project_data("mining", attributes={"right_type": "gold"}))
    assert not Project.objects.exists()


def test_capital_increase_ranges_must_be_ordered():
    project = f.draft("capital_increase", attributes={**f.ATTRS["capital_increase"], "amount_min": "9000"})
    err = refused(project, lambda: services.project_submit(project_id=project.pk, actor=project.seller))
    assert "不能大于" in err.message


@pytest.mark.parametrize(
    ("category", "floor", "pre", "formal", "ok"),
    [
        ("equity", "1000000", 0, 19, False),
        ("equity", "1000000", 0, 20, True),
        ("capital_increase", "1000000", 20, 19, False),
        ("capital_increase", "1000000", 20, 20, True),
        ("capital_increase", "1000000", 0, 40, True),
        ("capital_increase", "1000000", 0, 39, False),
        ("asset", "10000000", 0, 10, True),
        ("asset", "10000000.01", 0, 10, False),
        ("asset", "10000000.01", 0, 20, True),
        ("vehicle", "50000", 0, 9, False),
        ("equity", "1000000", 19, 20, False),
    ],
)
def test_minimum_disclosure_periods_per_type(category, floor, pre, formal, ok):
    project = f.draft(
        category,
        valuation=Decimal(floor),
        floor_price=Decimal(floor),
        deposit_amount=Decimal("1000"),
        pre_disclosure=bool(pre),
        pre_disclosure_wd=pre,
        disclosure_wd=formal,
    )
    submit = lambda: services.project_submit(project_id=project.pk, actor=project.seller)  # noqa: E731
    if ok:
        assert submit().status == Status.SUBMITTED
    else:
        assert refused(project, submit).code == "period_too_short"


def test_control_change_requires_pre_disclosure():
    project = f.draft("equity", attributes={**f.ATTRS["equity"], "control_change": True}, disclosure_wd=20)
    err = refused(project, lambda: services.project_submit(project_id=project.pk, actor=project.seller))
    assert err.code == "period_too_short" and err.data["field"] == "pre_disclosure"


def test_first_floor_below_valuation_is_refused():
    project = f.draft(floor_price=Decimal("999999.99"))
    err = refused(project, lambda: services.project_submit(project_id=project.pk, actor=project.seller))
    assert err.code == "floor_below_valuation"


def test_unverified_seller_cannot_submit():
    project = f.draft(seller=UserFactory(role="seller"))
    refused(project, lambda: services.project_submit(project_id=project.pk, actor=project.seller), InvalidInput)


def test_requested_start_on_a_holiday_is_refused():
    with clock.frozen(f.at(D(2026, 9, 1))):
        project = f.draft(requested_start=D(2026, 10, 2))
        err = refused(project, lambda: services.project_submit(project_id=project.pk, actor=project.seller))
    assert err.code == "not_a_workday"


def test_others_cannot_edit_or_submit():
    project = f.draft()
    stranger = UserFactory()
    refused(
        project, lambda: services.project_update(project_id=project.pk, actor=stranger, title="x"), PermissionDenied
    )
    refused(project, lambda: services.project_submit(project_id=project.pk, actor=stranger), PermissionDenied)


def test_content_is_frozen_after_submission():
    project = f.submitted()
    refused(
        project, lambda: services.project_update(project_id=project.pk, actor=project.seller, title="新名称"),
        IllegalTransition,
    )  # fmt: skip


# --------------------------------------------------------------------------- approval


def test_two_step_approval_schedules_and_worker_publishes():
    reviewer, manager = UserFactory(role="reviewer"), UserFactory(role="manager")
    with clock.frozen(f.at(D(2026, 3, 2))):
        project = f.submitted()
        # the manager cannot take the first step, the reviewer not the second
        refused(project, lambda: services.project_review(project_id=project.pk, actor=manager, decision="approve"),
                PermissionDenied)  # fmt: skip
        services.project_review(project_id=project.pk, actor=reviewer, decision="approve", comment="材料齐全")
        project.refresh_from_db()
        assert project.status == Status.UNDER_REVIEW and project.current_step == "final"
        refused(project, lambda: services.project_review(project_id=project.pk, actor=reviewer, decision="approve"),
                PermissionDenied)  # fmt: skip
        services.project_review(project_id=project.pk, actor=manager, decision="approve")
    project.refresh_from_db()
    assert project.status == Status.SCHEDULED
    assert (project.disclosure_start, project.disclosure_end) == (D(2026, 3, 3), D(2026, 3, 16))
    notice = Notice.objects.get(project=project)
    assert notice.kind == Notice.Kind.LISTING and notice.published_at is None
    assert [r.step for r in project.reviews.all()] == ["initial", "final"]
    # the worker: nothing before 09:00 on the first day, then published and disclosed
    with clock.frozen(dt.datetime(2026, 3, 3, 8, 59)):
        services.listings_tick()
    project.refresh_from_db()
    assert project.status == Status.SCHEDULED
    with clock.frozen(dt.datetime(2026, 3, 3, 9, 0)):
        assert services.listings_tick() == {"notices": 1, "projects": 1}
    project.refresh_from_db()
    notice.refresh_from_db()
    assert project.status == Status.DISCLOSURE and project.is_public and notice.published_at is not None
    # ends at 17:00 on the last day
    with clock.frozen(dt.datetime(2026, 3, 16, 16, 59)):
        services.listings_tick()
    assert Project.objects.get(pk=project.pk).status == Status.DISCLOSURE
    with clock.frozen(dt.datetime(2026, 3, 16, 17, 0)):
        services.listings_tick()
    assert Project.objects.get(pk=project.pk).status == Status.DISCLOSURE_ENDED


def test_return_needs_a_comment_and_allows_resubmission():
    project = f.submitted()
    reviewer = UserFactory(role="reviewer")
    refused(project, lambda: services.project_review(project_id=project.pk, actor=reviewer, decision="return"),
            InvalidInput)  # fmt: skip
    services.project_review(project_id=project.pk, actor=reviewer, decision="return", comment="请补充林权证照片")
    project.refresh_from_db()
    assert project.status == Status.RETURNED
    services.project_update(project_id=project.pk, actor=project.seller, title="示范林场林地经营权转让（补正）")
    services.project_submit(project_id=project.pk, actor=project.seller)
    project.refresh_from_db()
    assert project.status == Status.SUBMITTED and project.code.endswith("-0001")


def test_reject_is_final():
    project = f.submitted()
    services.project_review(
        project_id=project.pk, actor=UserFactory(role="reviewer"), decision="reject", comment="不符合条件"
    )
    project.refresh_from_db()
    refused(project, lambda: services.project_submit(project_id=project.pk, actor=project.seller), IllegalTransition)


def test_seller_cannot_review_own_project():
    seller = f.verified_seller()
    seller.groups.add(*UserFactory(role="reviewer").groups.all())
    project = f.submitted(seller=seller)
    refused(project, lambda: services.project_review(project_id=project.pk, actor=seller, decision="approve"),
            PermissionDenied)  # fmt: skip


# --------------------------------------------------------------------------- calendar (春节, 国庆, 调休, 2027)


def test_spring_festival_and_adjusted_working_saturdays():
    # approved on Friday 13 Feb 2026: Saturday 14 Feb is a 调休 working day, 15–23 Feb are off
    with clock.frozen(f.at(D(2026, 2, 13))):
        project = f.approved()
    assert project.disclosure_start == D(2026, 2, 14)
    # 14, 24, 25, 26, 27, 28 (Saturday, worked), 2, 3, 4, 5 March
    assert project.disclosure_end == D(2026, 3, 5)
    assert not project.dates_provisional


def test_national_day_skipped_and_sunday_before_counts():
    with clock.frozen(f.at(D(2026, 9, 30))):
        project = f.approved()
    assert project.disclosure_start == D(2026, 10, 8)
    # 8, 9, 10 (Saturday, worked), 12–16, 19, 20
    assert project.disclosure_end == D(2026, 10, 20)
    with clock.frozen(f.at(D(2026, 9, 18))):
        early = f.approved()
    # Friday 18 Sep → the next working day is Sunday 20 Sep (调休)
    assert early.disclosure_start == D(2026, 9, 20)


def test_period_into_2027_is_provisional_and_recomputed_after_the_notice():
    with clock.frozen(f.at(D(2026, 12, 21))):
        project = f.approved("equity")
    assert project.dates_provisional and project.disclosure_end.year == 2027
    old_end = project.disclosure_end
    # staff enter the 2027 notice: a working Saturday inside the period
    HolidayOverride.objects.create(date=D(2027, 1, 9), kind="workday", note="2027年调休")
    project = services.project_dates_recompute(project_id=project.pk)
    assert not project.dates_provisional
    assert project.disclosure_end < old_end


# --------------------------------------------------------------------------- after disclosure


def _ended(**kw) -> Project:  # type: ignore[no-untyped-def]
    project = f.disclosed(**kw)
    with clock.frozen(project.ends_at_local() + dt.timedelta(minutes=1)):
        services.listings_tick()
    project.refresh_from_db()
    assert project.status == Status.DISCLOSURE_ENDED
    return project


def test_extension_cycles_and_their_limit():
    project = _ended(max_extension_cycles=1)
    manager = UserFactory(role="manager")
    with clock.frozen(project.ends_at_local() + dt.timedelta(hours=1)):
        services.project_extend(project_id=project.pk, actor=manager)
    project.refresh_from_db()
    assert project.status == Status.EXTENDED and project.extension_cycles == 1
    from exchange.core import workdays

    assert workdays.workdays_between(D(2026, 1, 1), project.disclosure_end) >= 5
    assert Notice.objects.filter(project=project, kind="extension").count() == 1
    with clock.frozen(project.ends_at_local()):
        services.listings_tick()
    project.refresh_from_db()
    err = refused(project, lambda: services.project_extend(project_id=project.pk, actor=manager))
    assert err.code == "extension_not_allowed"


def test_relist_below_90_percent_needs_consent():
    project = _ended()
    manager = UserFactory(role="manager")
    relist = lambda **kw: services.project_relist(  # noqa: E731
        project_id=project.pk, actor=manager, floor_price=Decimal("850000"), **kw
    )
    with clock.frozen(project.ends_at_local() + dt.timedelta(days=1)):
        assert refused(project, relist).code == "consent_required"
        doc = services.attachment_add(
            project_id=project.pk, actor=project.seller, kind="approval_document", upload=f.pdf_upload("同意.pdf")
        )
        relist(consent_attachment_id=doc.pk)
    project.refresh_from_db()
    assert project.status == Status.RELISTED and project.round == 2 and project.floor_price == Decimal("850000")
    assert Notice.objects.filter(project=project, kind="relisting").exists()


def test_relist_at_90_percent_needs_no_consent():
    project = _ended()
    with clock.frozen(project.ends_at_local() + dt.timedelta(days=1)):
        services.project_relist(project_id=project.pk, actor=UserFactory(role="manager"), floor_price=Decimal("900000"))
    assert Project.objects.get(pk=project.pk).status == Status.RELISTED


def test_twelve_month_stop():
    project = _ended()
    manager = UserFactory(role="manager")
    later = project.first_disclosed_at + dt.timedelta(days=370)
    with clock.frozen(later):
        err = refused(
            project, lambda: services.project_relist(project_id=project.pk, actor=manager, floor_price=Decimal("1e6"))
        )
        assert err.code == "relist_stopped"
        services.project_relist(
            project_id=project.pk, actor=manager, floor_price=Decimal("950000"), new_valuation=Decimal("950000")
        )
    project.refresh_from_db()
    assert project.status == Status.RELISTED and project.valuation == Decimal("950000")


def test_suspend_at_most_a_month_and_resume_keeps_ten_and_twenty_days():
    project = f.disclosed()
    manager = UserFactory(role="manager")
    day = project.disclosure_start + dt.timedelta(days=1)
    with clock.frozen(f.at(day)):
        refused(project, lambda: services.project_suspend(project_id=project.pk, actor=manager, reason="诉讼",
                                                          until=day + dt.timedelta(days=31)))  # fmt: skip
        services.project_suspend(
            project_id=project.pk, actor=manager, reason="标的涉诉", until=day + dt.timedelta(days=20)
        )
    project.refresh_from_db()
    assert project.status == Status.SUSPENDED and project.suspended_from == Status.DISCLOSURE
    resume_day = day + dt.timedelta(days=10)
    with clock.frozen(f.at(resume_day)):
        services.project_resume(project_id=project.pk, actor=manager)
    project.refresh_from_db()
    from exchange.core import workdays

    remaining = workdays.workdays_between(resume_day, project.disclosure_end)
    assert remaining >= 10 and remaining + project.elapsed_wd_at_suspend >= 20
    assert project.status == Status.DISCLOSURE
    kinds = list(Notice.objects.filter(project=project).values_list("kind", flat=True))
    assert {"suspension", "resumption"} <= set(kinds)


def test_terminate_public_project_publishes_notice_and_seller_cannot():
    project = f.disclosed()
    refused(project, lambda: services.project_terminate(project_id=project.pk, actor=project.seller, reason="撤回"),
            PermissionDenied)  # fmt: skip
    services.project_terminate(project_id=project.pk, actor=UserFactory(role="manager"), reason="转让方撤回")
    assert Notice.objects.filter(project=project, kind="termination", published_at__isnull=False).exists()


def test_change_goes_through_approval_and_extends_period():
    project = f.disclosed()
    seller = project.seller
    with clock.frozen(f.at(project.disclosure_end - dt.timedelta(days=1))):
        change = services.change_propose(
            project_id=project.pk, actor=seller, changes={"payment_terms": "分期付款，首期50%"}, reason="调整付款方式"
        )
        services.change_review(change_id=change.pk, actor=UserFactory(role="reviewer"), decision="approve")
        services.change_review(change_id=change.pk, actor=UserFactory(role="manager"), decision="approve")
    project_after = Project.objects.get(pk=project.pk)
    assert project_after.payment_terms == "分期付款，首期50%"
    assert project_after.disclosure_end > project.disclosure_end
    assert Notice.objects.filter(project=project, kind="change", published_at__isnull=False).exists()


# --------------------------------------------------------------------------- attachments, Q&A, follow


def test_attachment_type_and_size_checks(settings):
    project = f.draft(report=False)
    add = lambda kind, upload: services.attachment_add(  # noqa: E731
        project_id=project.pk, actor=project.seller, kind=kind, upload=upload
    )
    assert refused(project, lambda: add("valuation_report", f.png_upload())).code == "attachment_rejected"
    fake = f.pdf_upload("x.png")
    assert refused(project, lambda: add("photo", fake)).code == "attachment_rejected"
    settings.LISTINGS_ATTACHMENT_MAX_BYTES = 1000
    assert refused(project, lambda: add("valuation_report", f.pdf_upload(size=1001))).code == "attachment_rejected"
    assert add("photo", f.png_upload()).kind == "photo"


def test_questions_answers_moderation_and_qa_notice():
    project = f.disclosed()
    member = UserFactory(role="bidder")
    question = services.question_ask(project_id=project.pk, actor=member, body="林地是否有抵押？")
    with pytest.raises(PermissionDenied):
        services.question_answer(question_id=question.pk, actor=UserFactory(), body="没有抵押")
    services.question_answer(question_id=question.pk, actor=project.seller, body="无抵押、无查封。")
    services.question_moderate(question_id=question.pk, actor=UserFactory(role="operations"), publish=True)
    notice = services.qa_notice_publish(project_id=project.pk, actor=UserFactory(role="copywriter"))
    assert notice.kind == "qa" and "无抵押" in notice.body and notice.published_at is not None


def test_follow_toggle_counts():
    project = f.disclosed()
    member = UserFactory()
    assert services.follow_toggle(project_id=project.pk, user=member) is True
    assert Project.objects.get(pk=project.pk).follower_count == 1
    assert services.follow_toggle(project_id=project.pk, user=member) is False
    assert Project.objects.get(pk=project.pk).follower_count == 0


def test_approval_chain_is_configurable_per_category(settings):
    settings.LISTINGS_APPROVAL_CHAINS = {
        "default": [
            {"key": "initial", "label": "项目经理初审", "permission": "listings.review_initial"},
            {"key": "final", "label": "部门经理复核", "permission": "listings.review_final"},
        ],
        "vehicle": [{"key": "initial", "label": "项目经理初审", "permission": "listings.review_initial"}],
    }
    project = f.submitted("vehicle")
    services.project_review(project_id=project.pk, actor=UserFactory(role="reviewer"), decision="approve")
    assert Project.objects.get(pk=project.pk).status == Status.SCHEDULED


def test_worker_task_is_scheduled_and_runs():
    from exchange.core import schedule
    from exchange.listings import tasks

    assert "exchange.listings.tasks.listings_tick" in [job.name for job in schedule.jobs()]
    project = f.approved()
    with clock.frozen(f.at(project.disclosure_start)):
        tasks.listings_tick.enqueue()
    assert Project.objects.get(pk=project.pk).status == Status.DISCLOSURE
