"""The upload policy (exchange.core.uploads) through the web forms and the API, and the
serving of every kind of stored upload."""

from __future__ import annotations

import io
import re
import zipfile

import pytest
from django.core.exceptions import SuspiciousFileOperation
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from hypothesis import HealthCheck, assume, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from exchange.accounts.models import Verification
from exchange.core.errors import InvalidInput
from exchange.listings.models import Attachment
from exchange.trading.models import Material
from tests.factories import UserFactory, image_upload, valid_resident_id
from tests.listings import factories as lf
from tests.trading import factories as tf
from tests.uploads_support import HTML, SVG, huge_png, polyglot_png

pytestmark = pytest.mark.django_db

SERVER_NAME = re.compile(r"[0-9a-f]{32}\.(jpg|png)")


def _api_token(client, user) -> str:  # type: ignore[no-untyped-def]
    from exchange.accounts import services

    return services.api_token_issue(user=user)


def _api_submit(client, user, front, back=None):  # type: ignore[no-untyped-def]
    data = {"name": "陈明", "id_number": valid_resident_id(11), "document_front": front}
    data["document_back"] = back or image_upload("back.png")
    return client.post("/api/v1/me/verification", data, headers={"Authorization": f"Bearer {_api_token(client, user)}"})


def _form_submit(client, user, front, back=None):  # type: ignore[no-untyped-def]
    client.force_login(user)
    data = {"name": "陈明", "id_number": valid_resident_id(12), "document_front": front}
    data["document_back"] = back or image_upload("back.png")
    return client.post(reverse("accounts:verification"), data)


def _assert_served_as_sandboxed_image(response, content_type: str = "image/png") -> None:  # type: ignore[no-untyped-def]
    assert response.status_code == 200
    assert response["Content-Type"] == content_type
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"].startswith("sandbox;")
    assert "default-src 'none'" in response["Content-Security-Policy"]
    assert "script-src" not in response["Content-Security-Policy"]


# --------------------------------------------------------------------------- identity documents


def test_api_stores_a_polyglot_png_named_html_as_png_under_a_server_name(client, reviewer):
    # given
    member = UserFactory()
    # when
    response = _api_submit(client, member, SimpleUploadedFile("id.html", polyglot_png(), content_type="text/html"))
    # then
    assert response.status_code == 201, response.content
    v = Verification.objects.get(user=member)
    stored = v.document_front.name.rsplit("/", 1)[-1]
    assert SERVER_NAME.fullmatch(stored) and stored.endswith(".png")
    client.force_login(reviewer)
    served = client.get(reverse("accounts:verification_document", args=[v.pk, "front"]))
    _assert_served_as_sandboxed_image(served)
    assert served["Content-Disposition"].startswith("inline")
    assert served["Cache-Control"] == "private, no-store"


def test_web_form_applies_the_same_policy_as_the_api(client):
    # given
    member = UserFactory()
    # when: the same polyglot through the page's form
    response = _form_submit(client, member, SimpleUploadedFile("id.html", polyglot_png(), content_type="text/html"))
    # then: accepted as a PNG, under a server name
    assert response.status_code == 302, response.content.decode()[:2000]
    stored = Verification.objects.get(user=member).document_front.name.rsplit("/", 1)[-1]
    assert SERVER_NAME.fullmatch(stored) and stored.endswith(".png")


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("id.svg", SVG),
        ("id.html", HTML),
        ("id.png", HTML),  # a page named like an image
        ("id.gif", b"GIF89a" + b"\x00" * 64),
        ("id.pdf", b"%PDF-1.4\n" + b"0" * 64),
    ],
)
def test_what_is_not_a_jpeg_or_png_is_refused_by_api_and_form_alike(client, name, content):
    # given
    member = UserFactory()
    # when
    api = _api_submit(client, member, SimpleUploadedFile(name, content))
    page = _form_submit(client, member, SimpleUploadedFile(name, content))
    # then
    assert api.status_code == 422 and api.json()["code"] == "invalid" and api.json()["field"] == "document_front"
    assert "JPG、PNG" in api.json()["message"]
    assert page.status_code == 200 and "JPG、PNG" in page.content.decode()
    assert not Verification.objects.exists()


def test_a_30000_by_30000_png_is_a_clear_chinese_4xx_on_the_api(client):
    # given: a 3 KB file announcing 900 million pixels
    member = UserFactory()
    bomb = SimpleUploadedFile("id.png", huge_png(), content_type="image/png")
    # when
    response = _api_submit(client, member, bomb)
    # then
    assert response.status_code == 422, response.content
    body = response.json()
    assert body["field"] == "document_front" and "尺寸过大" in body["message"] and "百万像素" in body["message"]
    assert not Verification.objects.exists()


def test_a_30000_by_30000_png_is_refused_with_the_same_message_on_the_page(client):
    member = UserFactory()
    response = _form_submit(client, member, SimpleUploadedFile("id.png", huge_png(), content_type="image/png"))
    assert response.status_code == 200 and "尺寸过大" in response.content.decode()
    assert not Verification.objects.exists()


def test_pixels_are_bounded_by_the_setting(client, settings):
    settings.UPLOAD_MAX_IMAGE_PIXELS = 64 * 40 - 1
    response = _api_submit(UserFactory() and client, UserFactory(), image_upload("id.png", size=(64, 40)))
    assert response.status_code == 422 and "尺寸过大" in response.json()["message"]
    settings.UPLOAD_MAX_IMAGE_PIXELS = 64 * 40
    assert _api_submit(client, UserFactory(), image_upload("id.png", size=(64, 40))).status_code == 201


def test_a_document_stored_before_the_policy_under_an_html_name_is_served_as_an_image(client, reviewer):
    # given: a verification whose image was stored, by the old code, as `.html`
    member = UserFactory()
    v = Verification.objects.create(
        user=member, member_type=member.member_type, name="陈明", id_number=valid_resident_id(13),
        document_front=ContentFile(polyglot_png(), name="legacy.html"),
    )  # fmt: skip
    assert v.document_front.name.endswith(".bin")  # even this path gets no client extension now
    v.document_front.name = _store_raw(f"verification/{member.pk}/20260101.html", polyglot_png())
    v.save(update_fields=["document_front"])
    client.force_login(reviewer)
    # when
    served = client.get(reverse("accounts:verification_document", args=[v.pk, "front"]))
    # then
    _assert_served_as_sandboxed_image(served)


def test_an_unrecognised_stored_file_is_a_sandboxed_download(client, reviewer):
    member = UserFactory()
    v = Verification.objects.create(
        user=member, member_type=member.member_type, name="陈明", id_number=valid_resident_id(14),
        document_front=_store_raw(f"verification/{member.pk}/x.html", HTML),
    )  # fmt: skip
    client.force_login(reviewer)
    served = client.get(reverse("accounts:verification_document", args=[v.pk, "front"]))
    assert served["Content-Type"] == "application/octet-stream"
    assert served["Content-Disposition"].startswith("attachment")
    assert served["Content-Security-Policy"].startswith("sandbox;")


def _store_raw(name: str, content: bytes) -> str:
    from django.core.files.storage import default_storage

    return default_storage.save(name, ContentFile(content))


# --------------------------------------------------------------------------- attachments, materials


def test_listing_attachments_are_named_by_the_server_and_served_by_sniffed_type(client):
    # given
    project = lf.draft(report=False)
    # when
    from exchange.listings import services

    photo = services.attachment_add(
        project_id=project.pk, actor=project.seller, kind="photo", upload=lf.png_upload("现场.png")
    )
    report = services.attachment_add(
        project_id=project.pk, actor=project.seller, kind="valuation_report", upload=lf.pdf_upload("评估报告.pdf")
    )
    # then
    assert SERVER_NAME.fullmatch(photo.file.name.rsplit("/", 1)[-1])
    assert re.fullmatch(r"[0-9a-f]{32}\.pdf", report.file.name.rsplit("/", 1)[-1])
    assert photo.original_name == "现场.png" and photo.content_type == "image/png"
    client.force_login(project.seller)
    _assert_served_as_sandboxed_image(client.get(reverse("listings:attachment", args=[photo.pk])))
    served = client.get(reverse("listings:attachment", args=[report.pk]))
    assert served["Content-Type"] == "application/pdf" and served["Content-Disposition"].startswith("attachment")
    assert served["Content-Security-Policy"].startswith("sandbox;")


def test_an_attachment_whose_recorded_type_lies_is_served_by_its_bytes(client):
    # given: a record claiming text/html for a PNG (as a tampered or old row could)
    project = lf.draft(report=False)
    from exchange.listings import services

    photo = services.attachment_add(project_id=project.pk, actor=project.seller, kind="photo", upload=lf.png_upload())
    Attachment.objects.filter(pk=photo.pk).update(content_type="text/html")
    client.force_login(project.seller)
    # when / then
    _assert_served_as_sandboxed_image(client.get(reverse("listings:attachment", args=[photo.pk])))


def test_listing_attachments_refuse_svg_and_html_photos():
    project = lf.draft(report=False)
    from exchange.listings import services

    for name, content in (("x.svg", SVG), ("x.html", HTML), ("x.png", HTML)):
        with pytest.raises(InvalidInput) as err:
            services.attachment_add(
                project_id=project.pk, actor=project.seller, kind="photo", upload=SimpleUploadedFile(name, content)
            )
        assert err.value.code == "attachment_rejected"
    assert not Attachment.objects.filter(project=project).exists()


def test_application_materials_are_named_by_the_server_and_downloaded_sandboxed(client):
    # given
    project = tf.project()
    user = tf.buyer()
    # when
    app = tf.apply(project, user)
    # then
    item = Material.objects.filter(application=app).first()
    assert item is not None and re.fullmatch(r"trading/\d{4}/\d{2}/[0-9a-f]{32}\.pdf", item.file.name)
    client.force_login(user)
    served = client.get(reverse("trading:material", args=[item.pk]))
    assert served["Content-Type"] == "application/pdf"
    assert served["Content-Disposition"].startswith("attachment")
    assert served["X-Content-Type-Options"] == "nosniff"
    assert served["Content-Security-Policy"].startswith("sandbox;")


# --------------------------------------------------------------------------- detection, names


def _zip(names: list[str]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for n in names:
            z.writestr(n, "<x/>")
    return buf.getvalue()


def _ole2(stream: str) -> bytes:
    return b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504 + stream.encode("utf-16-le") + b"\x00" * 64


@pytest.mark.parametrize(
    ("content", "ext"),
    [
        (b"%PDF-1.7\n...", "pdf"),
        (image_upload(fmt="JPEG").read(), "jpg"),
        (polyglot_png(), "png"),
        (b"RIFF\x00\x00\x00\x00WEBPVP8 ", "webp"),
        (b"\x00\x00\x00\x18ftypmp42\x00\x00", "mp4"),
        (b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81", "webm"),
        (_zip(["[Content_Types].xml", "word/document.xml"]), "docx"),
        (_zip(["[Content_Types].xml", "xl/workbook.xml"]), "xlsx"),
        (_ole2("WordDocument"), "doc"),
        (_ole2("Workbook"), "xls"),
        ("日期,金额\n2026-01-01,1.00\n".encode("gbk"), "csv"),
        (_zip(["index.html"]), None),
        (SVG, "csv"),  # text, and only a bank-file upload accepts text
        (b"MZ\x90\x00\x03\x00\x00\x00", None),
    ],
)
def test_detect_by_content(content, ext):
    from exchange.core import uploads

    fmt = uploads.detect(io.BytesIO(content))
    assert (fmt.ext if fmt else None) == ext


def test_svg_is_not_an_image_or_document_anywhere():
    # text is accepted only where CSV is allowed; no image or document kind lists csv
    from exchange.listings import conf as listings_conf
    from exchange.trading import conf as trading_conf

    kinds = [*listings_conf.get("LISTINGS_ATTACHMENT_TYPES").values(), trading_conf.get("TRADING_MATERIAL_TYPES")]
    assert all("csv" not in k and "svg" not in k and "html" not in k for k in kinds)


@hsettings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    content=st.one_of(st.binary(max_size=300), st.sampled_from([polyglot_png(), SVG, HTML, huge_png(200, 200)])),
    name=st.text(max_size=40),
)
def test_accept_either_refuses_or_names_the_file_itself(content, name):
    from exchange.core import uploads

    upload = SimpleUploadedFile("x", content)
    try:
        upload.name = name  # any client name, paths and dots included
    except SuspiciousFileOperation:
        assume(False)  # Django itself refuses it before any view runs
    try:
        accepted = uploads.accept(upload, formats=("jpg", "png"), max_bytes=10_000, field="f")
    except InvalidInput as exc:
        refused = exc
    else:
        refused = None
    if refused is not None:
        assert refused.data["field"] == "f" and refused.message
        return
    assert SERVER_NAME.fullmatch(accepted.upload.name)
    assert accepted.upload.name.endswith("." + accepted.format.ext)
    assert "/" not in accepted.original_name


def test_server_name_never_keeps_an_unknown_extension():
    from exchange.core import uploads

    assert uploads.ServerName("listings")(None, "evil.html").endswith(".bin")
    assert uploads.ServerName("listings")(None, "0123.png").endswith(".png")


# --------------------------------------------------------------------------- bank files


def test_a_bank_statement_that_is_not_csv_or_excel_is_refused_on_the_page(client):
    from exchange.settlement.models import StatementImport, StatementUpload
    from tests.settlement import factories as sf

    finance = UserFactory(role="finance")
    client.force_login(finance)
    response = client.post(
        "/settlement/finance/import/",
        {"profile": sf.generic_profile().pk, "file": SimpleUploadedFile("s.csv", b"MZ\x90\x00\x00binary")},
    )
    assert response.status_code == 200 and "对账单文件的文件内容不是允许的格式" in response.content.decode()
    assert not StatementImport.objects.exists() and not StatementUpload.objects.exists()
