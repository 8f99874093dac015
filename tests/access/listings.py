"""The listings app's part of the access matrix (see tests/test_access_matrix.py)."""

from __future__ import annotations

from exchange.accounts.models import User
from exchange.listings import services
from tests.access.checks import ANON, Check, World, _has, _is_staff, _login_page, _public
from tests.listings import factories as f

_READ_ONLY = {"listings.attachment", "listings.projectreview", "listings.projectchange", "listings.answer",
              "listings.follow"}  # fmt: skip
NO_ADD: set[str] = {*_READ_ONLY, "listings.project", "listings.notice", "listings.question"}
NO_CHANGE: set[str] = set(_READ_ONLY)
NO_DELETE: set[str] = {*_READ_ONLY, "listings.project", "listings.notice", "listings.question"}

_ids: dict[str, int] = {}


def objects(users: dict[str, User | None]) -> dict[str, object]:
    """One existing object per admin-registered model of the app: {"listings.model": pk}."""
    project = f.disclosed("forest")
    photo = services.attachment_add(
        project_id=project.pk, actor=project.seller, kind="approval_document", upload=f.pdf_upload("ok.pdf")
    )
    public_file = project.attachments.get(kind="valuation_report")
    bidder = f.verified_seller()
    question = services.question_ask(project_id=project.pk, actor=bidder, body="是否可以实地查看？")
    answer = services.question_answer(question_id=question.pk, actor=project.seller, body="可以，请预约。")
    services.follow_toggle(project_id=project.pk, user=bidder)
    change = services.change_propose(
        project_id=project.pk, actor=project.seller, changes={"payment_terms": "分期"}, reason="调整付款方式"
    )
    _ids.update(project=project.pk, file=public_file.pk, question=question.pk)
    return {
        "listings.project": project.pk,
        "listings.attachment": photo.pk,
        "listings.projectreview": project.reviews.first().pk,  # type: ignore[union-attr]
        "listings.projectchange": change.pk,
        "listings.notice": project.notices.get().pk,
        "listings.question": question.pk,
        "listings.answer": answer.pk,
        "listings.follow": project.follows.get().pk,
    }


def _staff_page(url: str) -> Check:
    return Check("GET", url, lambda a: 302 if a == ANON else (200 if _has(a, "listings.view_project") else 403))


def _post_only(url: str) -> Check:
    return Check("GET", url, lambda a: 302 if a == ANON else 405)


def site_checks(w: World) -> dict[str, Check]:
    """Expected answers of the app's non-admin URL patterns, by URL name."""
    pk, file_pk, question = _ids["project"], _ids["file"], _ids["question"]
    from exchange.listings.models import Notice

    number = Notice.objects.filter(project_id=pk).values_list("number", flat=True).first()

    def on_behalf(ok: int):  # type: ignore[no-untyped-def]
        # the seller center shows a member's own projects; staff who enter projects for sellers see them too
        return lambda a: 302 if a == ANON else (ok if _has(a, "listings.change_project") else 404)

    return {
        "listings:project_detail": _public(f"/projects/{pk}/"),
        "listings:project_follow": _post_only(f"/projects/{pk}/follow/"),
        "listings:question_ask": _post_only(f"/projects/{pk}/questions/"),
        "listings:question_answer": _post_only(f"/questions/{question}/answer/"),
        "listings:question_moderate": _post_only(f"/questions/{question}/moderate/"),
        "listings:attachment": _public(f"/attachments/{file_pk}/"),
        "listings:notice_list": _public("/notices/"),
        "listings:notice_detail": _public(f"/notices/{number}/"),
        "listings:my_projects": _login_page("/my/projects/"),
        "listings:project_new": _login_page("/my/projects/new/"),
        "listings:my_project": Check("GET", f"/my/projects/{pk}/", on_behalf(200)),
        "listings:project_edit": Check("GET", f"/my/projects/{pk}/edit/", on_behalf(302)),  # disclosed: not editable
        "listings:review_queue": _staff_page("/staff/listings/reviews/"),
        "listings:disclosure_calendar": _staff_page("/staff/listings/calendar/"),
        "listings:staff_project": _staff_page(f"/staff/listings/{pk}/"),
        "api:listings_project_list": _public("/api/v1/projects?category=forest&price_min=1"),
        "api:listings_project_detail": _public(f"/api/v1/projects/{pk}"),
        "api:listings_notice_list": _public("/api/v1/projects/notices"),
        "api:listings_notice_detail": _public(f"/api/v1/projects/notices/{number}"),
        # members only (staff, the read-only supervisor included, do not follow projects)
        "api:listings_project_follow": Check(
            "POST", "/api/v1/projects/999999/follow", lambda a: 401 if a == ANON else (403 if _is_staff(a) else 404)
        ),
    }


def admin_checks(w: World) -> dict[str, Check]:
    def importer(ok: int):  # type: ignore[no-untyped-def]
        return lambda a: 302 if not _is_staff(a) else (ok if _has(a, "listings.import_project") else 403)

    return {
        "admin:listings_project_import": Check("GET", "/admin/listings/project/import/", importer(200)),
        "admin:listings_project_process_import": Check(
            "GET", "/admin/listings/project/process_import/", lambda a: 302 if not _is_staff(a) else 405
        ),
    }
