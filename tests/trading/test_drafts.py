"""Files of the application form kept as drafts: uploaded as chosen (or with a failing form),
shown again, filed with the application; the member's only (404 for anyone else); bounded in
count and size; unused ones cleaned by the periodic job."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.files.storage import default_storage
from django.utils import timezone

from exchange.core import clock, schedule
from exchange.trading import services, tasks
from exchange.trading.models import Application, Material, MaterialDraft
from tests.trading import factories as f

pytestmark = pytest.mark.django_db


def _upload(client, project, kind: str, name: str = "执照.pdf", replaces: int | None = None):  # type: ignore[no-untyped-def]
    data = {"kind": kind, "file": f.pdf(name)}
    if replaces:
        data["replaces"] = str(replaces)
    return client.post(f"/trading/projects/{project.pk}/drafts/", data)


def _draft(project, user, kind: str = "id_proof", name: str = "执照.pdf") -> MaterialDraft:  # type: ignore[no-untyped-def]
    return services.draft_upload(project_id=project.pk, member=user, kind=kind, upload=f.pdf(name))


# --------------------------------------------------------------------------- the endpoint


def test_a_chosen_file_is_kept_as_my_draft_and_answered_with_its_id(client):
    project = f.project()
    user = f.buyer()
    client.force_login(user)
    response = _upload(client, project, "id_proof", "营业执照.pdf")
    assert response.status_code == 201
    body = response.json()
    draft = MaterialDraft.objects.get(pk=body["id"])
    assert (draft.member, draft.project, draft.kind, draft.original_name) == (user, project, "id_proof", "营业执照.pdf")
    assert body["name"] == "营业执照.pdf" and body["url"] == f"/trading/drafts/{draft.pk}/"
    assert draft.file.name.endswith(".pdf") and "营业执照" not in draft.file.name  # the server names it
    served = client.get(body["url"])
    assert served.status_code == 200 and served["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in served["Content-Security-Policy"]


def test_a_refused_file_is_answered_in_chinese_and_nothing_is_kept(client):
    project = f.project()
    client.force_login(f.buyer())
    from django.core.files.uploadedfile import SimpleUploadedFile

    bad = SimpleUploadedFile("执照.pdf", b"<html><script>alert(1)</script>", content_type="application/pdf")
    response = client.post(f"/trading/projects/{project.pk}/drafts/", {"kind": "id_proof", "file": bad})
    assert response.status_code == 422 and response.json()["code"] == "material_rejected"
    assert "格式" in response.json()["message"]
    assert _upload(client, project, "authorization").json()["code"] == "invalid"  # not asked by this project
    assert not MaterialDraft.objects.exists()


def test_only_who_may_apply_may_upload(client):
    project = f.project()
    client.force_login(f.buyer(verified=False))
    response = _upload(client, project, "id_proof")
    assert response.status_code == 403 and response.json()["code"] == "not_verified"
    client.force_login(f.reviewer())  # staff do not apply
    assert _upload(client, project, "id_proof").status_code == 403
    assert client.post(f"/trading/projects/{project.pk}/drafts/").status_code == 403  # who, before what
    client.force_login(f.buyer())
    assert client.post(f"/trading/projects/{project.pk}/drafts/", {"kind": "id_proof"}).status_code == 422  # no file
    assert not MaterialDraft.objects.exists()


# --------------------------------------------------------------------------- ownership


def test_another_member_cannot_view_remove_or_replace_my_draft(client):
    project = f.project()
    mine = _draft(project, f.buyer())
    client.force_login(f.buyer())
    assert client.get(f"/trading/drafts/{mine.pk}/").status_code == 404
    assert client.get(f"/trading/drafts/{mine.pk + 1000}/").status_code == 404  # the same as a missing one
    assert client.post(f"/trading/drafts/{mine.pk}/remove/").status_code == 404
    assert _upload(client, project, "id_proof", replaces=mine.pk).status_code == 404
    assert MaterialDraft.objects.filter(pk=mine.pk).exists() and MaterialDraft.objects.count() == 1
    client.force_login(mine.member)
    assert client.get(f"/trading/drafts/{mine.pk}/").status_code == 200


def test_another_member_cannot_attach_my_draft(client):
    project = f.project()
    owner = f.buyer()
    mine = _draft(project, owner)
    thief = f.buyer()
    theirs = _draft(project, thief, "credit_proof", "资信.pdf")
    client.force_login(thief)
    data = {
        "bid_floor": "1100000",
        "accept_commitment": "on",
        "draft_id_proof": mine.pk,
        "draft_credit_proof": theirs.pk,
    }
    assert client.post(f"/trading/projects/{project.pk}/apply/", data).status_code == 404
    # …nor through the service
    with pytest.raises(services.NotFound):
        f.apply(project, thief, materials={}, drafts={"id_proof": mine.pk, "credit_proof": theirs.pk})
    assert not Application.objects.exists() and not Material.objects.exists()
    assert MaterialDraft.objects.get(pk=mine.pk).member == owner
    # a draft of another project, or filed as another kind, is not found either
    other = _draft(f.project(), thief)
    with pytest.raises(services.NotFound):
        f.apply(project, thief, materials={}, drafts={"id_proof": other.pk, "credit_proof": theirs.pk})
    with pytest.raises(services.NotFound):
        f.apply(project, thief, materials={}, drafts={"id_proof": theirs.pk, "credit_proof": theirs.pk})


# --------------------------------------------------------------------------- kept across errors


def test_files_sent_with_a_failing_form_are_kept_and_filed_with_the_next_submit(client):
    project = f.project()
    user = f.buyer()
    client.force_login(user)
    url = f"/trading/projects/{project.pk}/apply/"
    files = {"id_proof": f.pdf("身份证明.pdf"), "credit_proof": f.pdf("资信证明.pdf")}
    page = client.post(url, {"bid_floor": "", "accept_commitment": "on", **files}).content.decode()
    # the error, and both files shown as uploaded with their ids and a remove button
    assert "请填写意向报价" in page
    drafts = {d.kind: d for d in MaterialDraft.objects.filter(member=user)}
    assert set(drafts) == {"id_proof", "credit_proof"}
    for d in drafts.values():
        assert f'name="draft_{d.kind}" value="{d.pk}"' in page and d.original_name in page
        assert f'name="remove_draft" value="{d.pk}"' in page
    stored = {d.kind: d.file.name for d in drafts.values()}
    # a fresh visit of the form shows them too
    assert "身份证明.pdf" in client.get(url).content.decode()
    # the next submit sends only the ids: the application has the same stored files
    data = {"bid_floor": "1100000", "accept_commitment": "on", **{f"draft_{k}": d.pk for k, d in drafts.items()}}
    response = client.post(url, data)
    app = Application.objects.get(applicant=user)
    assert response.status_code == 302 and response.url == f"/trading/applications/{app.pk}/"
    assert {m.kind: m.file.name for m in app.materials.all()} == stored
    assert {m.original_name for m in app.materials.all()} == {"身份证明.pdf", "资信证明.pdf"}
    assert not MaterialDraft.objects.exists()
    assert client.get(f"/trading/materials/{app.materials.first().pk}/").status_code == 200  # type: ignore[union-attr]


def test_a_refused_file_on_the_form_is_named_and_the_good_ones_kept(client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    project = f.project()
    user = f.buyer()
    client.force_login(user)
    bad = SimpleUploadedFile("资信.pdf", b"not a pdf at all", content_type="application/pdf")
    page = client.post(
        f"/trading/projects/{project.pk}/apply/",
        {"bid_floor": "1100000", "accept_commitment": "on", "id_proof": f.pdf("身份证明.pdf"), "credit_proof": bad},
    ).content.decode()
    assert "资信证明的文件内容不是允许的格式" in page and "身份证明.pdf" in page
    assert list(MaterialDraft.objects.values_list("kind", flat=True)) == ["id_proof"]
    assert not Application.objects.exists()


def test_the_remove_button_works_without_javascript(client):
    project = f.project()
    user = f.buyer()
    draft = _draft(project, user)
    name = draft.file.name
    client.force_login(user)
    page = client.post(
        f"/trading/projects/{project.pk}/apply/",
        {"bid_floor": "1100000", "draft_id_proof": draft.pk, "remove_draft": draft.pk},
    ).content.decode()
    assert "已移除文件" in page and 'value="1100000"' in page  # the rest of the form kept
    assert not MaterialDraft.objects.exists() and not Application.objects.exists()
    assert default_storage.exists(name)  # the file goes after the commit (this test's transaction never commits)


def test_replacing_a_file_removes_the_old_draft(client, django_capture_on_commit_callbacks):
    project = f.project()
    user = f.buyer()
    client.force_login(user)
    first = _upload(client, project, "id_proof", "旧.pdf").json()
    old_name = MaterialDraft.objects.get(pk=first["id"]).file.name
    with django_capture_on_commit_callbacks(execute=True):
        second = _upload(client, project, "id_proof", "新.pdf", replaces=first["id"]).json()
    assert list(MaterialDraft.objects.values_list("pk", "original_name")) == [(second["id"], "新.pdf")]
    assert not default_storage.exists(old_name)
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(second["remove_url"]).json() == {"removed": second["id"]}
    assert not MaterialDraft.objects.exists()


# --------------------------------------------------------------------------- limits


def test_drafts_are_bounded_in_count_per_member(client, settings):
    settings.TRADING_DRAFT_MAX_FILES = 2
    project = f.project()
    user = f.buyer()
    client.force_login(user)
    a = _upload(client, project, "id_proof").json()
    _upload(client, f.project(), "id_proof")  # the bound is over all projects
    third = _upload(client, project, "credit_proof")
    assert third.status_code == 422 and third.json()["code"] == "draft_limit" and "上限" in third.json()["message"]
    assert MaterialDraft.objects.filter(member=user).count() == 2
    assert _upload(client, project, "id_proof", replaces=a["id"]).status_code == 201  # a replacement is not one more
    assert _upload(client, project, "credit_proof").status_code == 422
    assert _upload(client, project, "credit_proof").status_code == 422
    client.force_login(f.buyer())  # another member has their own allowance
    assert _upload(client, project, "credit_proof").status_code == 201


def test_drafts_are_bounded_in_size(client, settings):
    project = f.project()
    user = f.buyer()
    client.force_login(user)
    size = len(f.pdf().read())
    settings.TRADING_DRAFT_MAX_BYTES = 2 * size
    assert _upload(client, project, "id_proof").status_code == 201
    assert _upload(client, project, "credit_proof").status_code == 201
    refused = _upload(client, project, "commitment")
    assert refused.status_code == 422 and refused.json()["code"] == "draft_limit"
    settings.TRADING_MATERIAL_MAX_BYTES = size - 1  # and each file as any material
    settings.TRADING_DRAFT_MAX_BYTES = 100 * size
    assert _upload(client, project, "commitment").json()["code"] == "material_rejected"
    assert MaterialDraft.objects.count() == 2


# --------------------------------------------------------------------------- cleanup


def test_unused_drafts_are_cleaned_after_the_period_with_their_files(settings, django_capture_on_commit_callbacks):
    settings.TRADING_DRAFT_MAX_AGE_HOURS = 48
    project = f.project()
    user = f.buyer()
    start = clock.now()
    with clock.frozen(start - dt.timedelta(hours=49)):
        old = _draft(project, user, "id_proof")
        filed = _draft(project, user, "credit_proof")
    fresh = _draft(project, user, "commitment")
    app = f.apply(project, user, materials={}, drafts={"id_proof": old.pk, "credit_proof": filed.pk})
    assert app.materials.count() == 2  # filed drafts are materials now, not drafts
    stale = _draft(f.project(), user)
    MaterialDraft.objects.filter(pk=stale.pk).update(uploaded_at=start - dt.timedelta(hours=48, seconds=1))
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.drafts_clean.call() == 1
    assert list(MaterialDraft.objects.values_list("pk", flat=True)) == [fresh.pk]
    assert not default_storage.exists(stale.file.name) and default_storage.exists(fresh.file.name)
    for m in app.materials.all():  # the application's files are untouched
        assert default_storage.exists(m.file.name)
    assert any(job.task is tasks.drafts_clean for job in schedule.jobs())


# --------------------------------------------------------------------------- the commitment letter


def test_the_commitment_letter_is_per_category_with_the_names_filled_in():
    from exchange.trading import commitment

    buyer = f.buyer(name="测试受让人")
    equity = commitment.letter(f.project("equity"), buyer)
    house = commitment.letter(f.project("real_estate"), buyer)
    asset = commitment.letter(f.project("asset"), buyer)
    assert "测试受让人" in equity.text and buyer.member_no in equity.text
    assert "职工安置" in equity.text and "实地查看房产" in house.text and "按现状交割" in asset.text
    assert len({equity.sha256, house.sha256, asset.sha256}) == 3 and equity.version == "2026-02"


@pytest.mark.skipif(  # like the browser tests: optional locally, required in CI (.ci/run installs it)
    not shutil.which("pdftotext") and os.environ.get("CI") != "true", reason="poppler-utils not installed"
)
def test_the_commitment_template_downloads_as_a_pdf_with_the_same_text(client, tmp_path: Path):
    from exchange.trading import commitment

    project = f.project()
    user = f.buyer(name="下载模板的人")
    client.force_login(user)
    response = client.get(f"/trading/projects/{project.pk}/commitment.pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment")
    assert response.content.startswith(b"%PDF")
    pdf = tmp_path / "letter.pdf"
    pdf.write_bytes(response.content)
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, check=True, text=True).stdout
    flat = "".join(text.split())
    assert "下载模板的人" in flat and project.code in flat and "签字/盖章" in flat
    assert commitment.letter(project, user).sha256 in flat


def test_staff_see_how_the_commitment_was_given(client):
    project = f.project()
    online = f.apply(project)
    user = f.buyer()
    signed = f.apply(
        project,
        user,
        materials={**f.materials(project, user), "commitment": f.pdf("已盖章承诺函.pdf")},
        commitment_accepted=False,
        bid_floor=project.floor_price + Decimal(1),
    )
    client.force_login(f.reviewer())
    page = client.get(f"/trading/staff/applications/{online.pk}/").content.decode()
    assert "在线确认" in page and online.commitment_sha256 in page
    assert timezone.localtime(online.commitment_accepted_at).strftime("%Y-%m-%d %H:%M:%S") in page
    page = client.get(f"/trading/staff/applications/{signed.pk}/").content.decode()
    assert "上传签署的承诺函" in page and "已盖章承诺函.pdf" in page
