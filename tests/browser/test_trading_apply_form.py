"""The buyer's application form in the browser: files uploaded as they are chosen survive a
validation error and are filed with the final submit; the 受让资格承诺函 accepted online
(no file) is shown to staff with its time; the template downloads as a PDF and the signed
letter can be filed instead; without JavaScript the files are kept the same way.

Screenshots: test-artifacts/screenshots/apply-*.png (1366 and 390 px).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from django.utils import timezone

from exchange.trading.models import Application, MaterialDraft
from tests.browser import journey_steps_trading as steps
from tests.trading import factories as tf

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

DESKTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}


def _files(folder: Path) -> dict[str, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    files = {}
    for name in ("身份证明-陈明.pdf", "资信证明-2026.pdf", "资信证明-更正.pdf", "承诺函-已签字.pdf"):
        (folder / name).write_bytes(steps.PDF)
        files[name] = folder / name
    return files


def _choose(page, kind: str, path: Path) -> None:  # type: ignore[no-untyped-def]
    """Choose a file for one material and wait until the page shows it as uploaded."""
    box = page.locator(f"[data-draft-kind={kind}]")
    box.locator("input[type=file]").set_input_files(str(path))
    box.locator("[data-draft-row]").get_by_text(path.name).wait_for()


def _kept(page, kind: str) -> str:  # type: ignore[no-untyped-def]
    box = page.locator(f"[data-draft-kind={kind}]")
    assert box.locator("[data-draft-row]").is_visible()
    assert box.locator("input[type=file]").is_hidden()
    return box.locator("[data-draft-link]").inner_text()


def test_uploads_survive_an_error_and_the_commitment_is_accepted_online(live_server, browser, shot, tmp_path):
    base = live_server.url
    project = tf.project()
    buyer = tf.buyer(name="陈明测试")
    files = _files(tmp_path / "files")
    url = f"{base}/trading/projects/{project.pk}/apply/"

    ctx, page = steps.logged_in_page(browser, base, buyer, viewport=DESKTOP)
    try:
        page.goto(url)
        # the files are uploaded as they are chosen
        _choose(page, "id_proof", files["身份证明-陈明.pdf"])
        _choose(page, "credit_proof", files["资信证明-2026.pdf"])
        assert MaterialDraft.objects.filter(member=buyer).count() == 2
        # a wrong choice is removed and chosen again
        page.locator("[data-draft-kind=credit_proof] [data-draft-remove]").click()
        page.locator("[data-draft-kind=credit_proof] input[type=file]").wait_for(state="visible")
        _choose(page, "credit_proof", files["资信证明-更正.pdf"])
        assert set(MaterialDraft.objects.filter(member=buyer).values_list("original_name", flat=True)) == {
            "身份证明-陈明.pdf", "资信证明-更正.pdf",
        }  # fmt: skip
        # the 意向报价 is forgotten: the form comes back with the error, the files still there
        page.check("input[name=accept_commitment]")
        page.get_by_role("button", name="提交受让申请").click()
        page.get_by_text("请填写意向报价。").wait_for()
        assert _kept(page, "id_proof") == "身份证明-陈明.pdf"
        assert _kept(page, "credit_proof") == "资信证明-更正.pdf"
        shot(page, "apply-01-error-files-kept-1366")
        # the commitment text names the project and the buyer; it is accepted online, no file
        letter = page.locator("[data-commitment-text]").inner_text()
        assert project.title in letter and "陈明测试" in letter
        page.fill("input[name=bid_floor]", "1,050,000")
        if not page.is_checked("input[name=accept_commitment]"):
            page.check("input[name=accept_commitment]")
        page.get_by_role("button", name="提交受让申请").click()
        page.wait_for_selector("[data-timeline]")
    finally:
        ctx.close()

    app = Application.objects.get(applicant=buyer)
    assert dict(app.materials.values_list("kind", "original_name")) == {
        "credit_proof": "资信证明-更正.pdf", "id_proof": "身份证明-陈明.pdf",
    }  # fmt: skip
    assert app.commitment_method == "online" and "陈明测试" in app.commitment_text
    assert not MaterialDraft.objects.filter(member=buyer).exists()

    # the reviewer sees that the letter was accepted online, when, and its digest
    ctx, page = steps.logged_in_page(browser, base, tf.reviewer(), viewport=DESKTOP)
    try:
        page.goto(f"{base}/trading/staff/applications/{app.pk}/")
        record = page.locator("[data-commitment-record]")
        assert "在线确认" in record.inner_text()
        at = timezone.localtime(app.commitment_accepted_at).strftime("%Y-%m-%d %H:%M:%S")
        assert record.locator("[data-commitment-time]").inner_text() == at
        assert record.locator("[data-commitment-digest]").inner_text() == app.commitment_sha256
        record.locator("summary").click()
        assert project.title in record.locator(".trd-commitment").inner_text()
        shot(page, "apply-03-staff-sees-online-commitment-1366")
    finally:
        ctx.close()


def test_the_template_downloads_and_the_signed_letter_is_filed_on_a_phone(live_server, browser, shot, tmp_path):
    base = live_server.url
    project = tf.project("real_estate")  # asks 身份证明 only (and the letter)
    buyer = tf.buyer(name="刘芳测试")
    files = _files(tmp_path / "files")

    ctx, page = steps.logged_in_page(browser, base, buyer, viewport=PHONE, is_mobile=True, has_touch=True)
    try:
        page.goto(f"{base}/trading/projects/{project.pk}/apply/")
        _choose(page, "id_proof", files["身份证明-陈明.pdf"])
        page.fill("input[name=bid_floor]", "100")  # below the floor: an error to come back from
        page.check("#cm-upload")
        assert page.locator("[data-commitment-text]").is_hidden()  # the other way folds away
        with page.expect_download() as download:
            page.locator("[data-commitment-template]").click()
        pdf = Path(download.value.path())
        assert pdf.read_bytes().startswith(b"%PDF") and download.value.suggested_filename.endswith(".pdf")
        _choose(page, "commitment", files["承诺函-已签字.pdf"])
        page.get_by_role("button", name="提交受让申请").click()
        page.locator(".field-errors").get_by_text("意向报价不得低于转让底价").wait_for()
        assert page.is_checked("#cm-upload")
        assert _kept(page, "id_proof") == "身份证明-陈明.pdf"
        assert _kept(page, "commitment") == "承诺函-已签字.pdf"
        shot(page, "apply-02-error-files-kept-390")
        page.fill("input[name=bid_floor]", "1000000")
        page.get_by_role("button", name="提交受让申请").click()
        page.wait_for_selector("[data-timeline]")
    finally:
        ctx.close()
    app = Application.objects.get(applicant=buyer)
    assert app.commitment_method == "upload" and app.commitment_sha256 == ""
    assert dict(app.materials.values_list("kind", "original_name")) == {
        "id_proof": "身份证明-陈明.pdf", "commitment": "承诺函-已签字.pdf",
    }  # fmt: skip


def test_without_javascript_files_sent_with_a_failing_form_are_kept(live_server, browser, shot, tmp_path):
    base = live_server.url
    project = tf.project()
    buyer = tf.buyer()
    files = _files(tmp_path / "files")
    ctx, page = steps.logged_in_page(browser, base, buyer, viewport=PHONE, java_script_enabled=False)
    try:
        page.goto(f"{base}/trading/projects/{project.pk}/apply/")
        page.set_input_files("input[name=id_proof]", str(files["身份证明-陈明.pdf"]))
        page.set_input_files("input[name=credit_proof]", str(files["资信证明-2026.pdf"]))
        page.get_by_role("button", name="提交受让申请").click()  # the letter not accepted
        page.locator(".field-errors").get_by_text("请在线确认《受让资格承诺函》").wait_for()
        assert _kept(page, "id_proof") == "身份证明-陈明.pdf"
        assert _kept(page, "credit_proof") == "资信证明-2026.pdf"
        # the remove button works as a plain form button
        page.locator("[data-draft-kind=credit_proof] [data-draft-remove]").click()
        page.get_by_text("已移除文件：资信证明-2026.pdf").wait_for()
        assert page.locator("[data-draft-kind=credit_proof] input[type=file]").is_visible()
        assert _kept(page, "id_proof") == "身份证明-陈明.pdf"
        page.set_input_files("input[name=credit_proof]", str(files["资信证明-更正.pdf"]))
        page.fill("input[name=bid_floor]", "1000000")
        page.check("input[name=accept_commitment]")
        page.get_by_role("button", name="提交受让申请").click()
        page.wait_for_selector("[data-timeline]")
    finally:
        ctx.close()
    app = Application.objects.get(applicant=buyer)
    assert set(app.materials.values_list("original_name", flat=True)) == {"身份证明-陈明.pdf", "资信证明-更正.pdf"}
