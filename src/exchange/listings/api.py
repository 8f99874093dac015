"""JSON API of the listings app, mounted by exchange.api at /api/v1/projects.

Public reads (no authentication): the hall's projects with the same filters as the page,
a project's disclosure, and published notices. Members follow a project with their token.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.core.paginator import Paginator
from django.http import HttpRequest
from ninja import Query, Router, Schema
from pydantic import Field

from exchange.api_support import Text, errors
from exchange.core.errors import NotFound
from exchange.listings import categories, selectors, services
from exchange.listings.models import Attachment, Notice, Project

router = Router(tags=["listings"])


class ProjectOut(Schema):
    id: int
    code: str | None
    title: str
    category: str
    category_label: str
    status: str
    status_label: str
    region: str
    valuation: Decimal
    floor_price: Decimal
    deposit_amount: Decimal
    trading_method: str
    disclosure_start: dt.date | None
    disclosure_end: dt.date | None
    ends_at: dt.datetime | None
    dates_provisional: bool
    unit_price: Decimal | None
    unit_price_unit: str
    view_count: int
    follower_count: int
    url: str


class AttributeOut(Schema):
    label: str
    value: str


class NoticeOut(Schema):
    number: str
    kind: str
    kind_label: str
    title: str
    published_at: dt.datetime | None
    url: str


class NoticeDetailOut(NoticeOut):
    body: str
    project_id: int


class AttachmentOut(Schema):
    id: int
    kind: str
    name: str
    size: int
    url: str


class ProjectDetailOut(ProjectOut):
    description: str
    attributes: dict[str, Any]
    attribute_list: list[AttributeOut]
    buyer_conditions: str
    payment_terms: str
    pre_start: dt.date | None
    pre_end: dt.date | None
    allow_extension: bool
    extension_cycles: int
    max_extension_cycles: int
    notices: list[NoticeOut]
    attachments: list[AttachmentOut]


class ProjectPage(Schema):
    count: int
    page: int
    pages: int
    results: list[ProjectOut]


class NoticePage(Schema):
    count: int
    page: int
    pages: int
    results: list[NoticeOut]


class HallQuery(Schema):
    category: Text | None = Field(None, description="交易品种 key, e.g. forest")
    region: Text | None = Field(None, description="6-digit region code (city or county)")
    status: Text | None = Field(None, description="open (default), all, or a public status key")
    method: Text | None = Field(None, description="trading method key")
    price_min: Text | None = Field(None, description="floor price at least, 万元")
    price_max: Text | None = Field(None, description="floor price at most, 万元")
    deposit_max: Text | None = Field(None, description="deposit at most, 万元")
    q: Text | None = Field(None, description="title contains, or exact project code")
    sort: Text | None = Field(None, description="new | ending | price_asc | price_desc | unit_price")
    page: int = Field(1, ge=1, le=100000)
    page_size: int = Field(20, ge=1, le=100)


def _project_out(p: Project) -> dict[str, Any]:
    return {
        "id": p.pk, "code": p.code, "title": p.title, "category": p.category,
        "category_label": p.get_category_display(), "status": p.status, "status_label": p.get_status_display(),
        "region": p.region.full_name, "valuation": p.valuation, "floor_price": p.floor_price,
        "deposit_amount": p.deposit_amount, "trading_method": p.trading_method,
        "disclosure_start": p.disclosure_start, "disclosure_end": p.disclosure_end, "ends_at": p.ends_at,
        "dates_provisional": p.dates_provisional, "unit_price": p.unit_price, "unit_price_unit": p.unit_price_unit,
        "view_count": p.view_count, "follower_count": p.follower_count, "url": p.get_absolute_url(),
    }  # fmt: skip


def _notice_out(n: Notice) -> dict[str, Any]:
    return {"number": n.number or "", "kind": n.kind, "kind_label": n.get_kind_display(), "title": n.title,
            "published_at": n.published_at, "url": n.get_absolute_url()}  # fmt: skip


@router.get("", auth=None, response={200: ProjectPage, **errors(422)}, url_name="listings_project_list")
def project_list(request: HttpRequest, query: Query[HallQuery]) -> dict[str, Any]:
    """Public projects, filtered and sorted like the project hall (项目大厅)."""
    params = {k: v for k, v in query.dict().items() if isinstance(v, str) and v}
    filters = selectors.HallFilters.parse(params)
    page = selectors.HallPaginator(selectors.hall_projects(filters), query.page_size).get_page(query.page)
    return {"count": page.paginator.count, "page": page.number, "pages": page.paginator.num_pages,
            "results": [_project_out(p) for p in page.object_list]}  # fmt: skip


@router.get("/notices", auth=None, response={200: NoticePage, **errors(422)}, url_name="listings_notice_list")
def notice_list(
    request: HttpRequest, kind: Text | None = None, q: Text | None = Query(None, max_length=50),  # noqa: B008  (ninja parameter marker)
    page: int = Query(1, ge=1, le=100000),
) -> dict[str, Any]:  # fmt: skip
    """Published notices, newest first; `kind` e.g. listing, change, termination; `q` a keyword
    in the title, or a notice number or project code."""
    qs = selectors.published_notices(kind=kind or "", q=selectors.notice_keyword(q))
    current = Paginator(qs, 20).get_page(page)
    return {"count": current.paginator.count, "page": current.number, "pages": current.paginator.num_pages,
            "results": [_notice_out(n) for n in current.object_list]}  # fmt: skip


@router.get(
    "/notices/{number}", auth=None, response={200: NoticeDetailOut, **errors(404)}, url_name="listings_notice_detail"
)
def notice_detail(request: HttpRequest, number: Text) -> dict[str, Any]:
    """One published notice by its permanent number."""
    notice = Notice.objects.filter(number=number, published_at__isnull=False, withdrawn_at__isnull=True).first()
    if notice is None:
        raise NotFound()
    return {**_notice_out(notice), "body": notice.body, "project_id": notice.project_id}


@router.get(
    "/{int:project_id}", auth=None, response={200: ProjectDetailOut, **errors(404)}, url_name="listings_project_detail"
)
def project_detail(request: HttpRequest, project_id: int) -> dict[str, Any]:
    """Every disclosure field of a public project, its notices and public attachments."""
    project = Project.objects.select_related("region").filter(pk=project_id, is_public=True).first()
    if project is None:
        raise NotFound()
    attachments = project.attachments.exclude(kind=Attachment.Kind.APPROVAL_DOCUMENT)
    return {
        **_project_out(project),
        "description": project.description,
        "attributes": project.attributes,
        "attribute_list": [
            {"label": label, "value": value}
            for label, value in categories.display_attributes(project.category, project.attributes)
        ],
        "buyer_conditions": project.buyer_conditions,
        "payment_terms": project.payment_terms,
        "pre_start": project.pre_start,
        "pre_end": project.pre_end,
        "allow_extension": project.allow_extension,
        "extension_cycles": project.extension_cycles,
        "max_extension_cycles": project.max_extension_cycles,
        "notices": [_notice_out(n) for n in selectors.project_notices(project)],
        "attachments": [
            {
                "id": a.pk,
                "kind": a.kind,
                "name": a.original_name,
                "size": a.size,
                "url": f"/attachments/{a.pk}/",
            }
            for a in attachments
        ],
    }


class FollowOut(Schema):
    following: bool


@router.post(
    "/{int:project_id}/follow", response={200: FollowOut, **errors(401, 403, 404)}, url_name="listings_project_follow"
)
def project_follow(request: HttpRequest, project_id: int) -> dict[str, bool]:
    """Follow or unfollow a public project (toggles); answers the new state."""
    return {"following": services.follow_toggle(project_id=project_id, user=request.auth)}  # type: ignore[attr-defined]
