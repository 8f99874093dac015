"""Statement import in two steps (upload → preview → confirm), tolerant headings, templates,
and the page of one import (issue 15, item 5)."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal as D

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from exchange.core.errors import IllegalTransition, PermissionDenied
from exchange.settlement import services, statements
from exchange.settlement.models import (
    BankProfile,
    DepositInstruction,
    StatementImport,
    StatementLine,
    StatementUpload,
)
from exchange.settlement.statements import StatementInvalid
from tests.factories import UserFactory
from tests.settlement import factories as f

pytestmark = pytest.mark.django_db

# A bank that words every heading differently from the generic profile, with title lines above.
OTHER_BANK_HEADER = [
    "记账日期",
    "时间",
    "收入金额（元）",
    "支出金额（元）",
    "对方户名",
    "对方账号",
    "虚拟子账号",
    "附言",
    "流水号",
]


def other_bank_file(rows: list[list[str]], *, encoding: str = "gbk") -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["山西产权交易中心 账户明细"])
    writer.writerow(["账号：0502000000000001"])
    writer.writerow(OTHER_BANK_HEADER)
    writer.writerows(rows)
    return out.getvalue().encode(encoding)


def other_row(*, amount: str, virtual_account: str = "", txn: str = "T1", payer: str = "陈明") -> list[str]:
    when = f.QUALIFIED + dt.timedelta(hours=2)
    return [
        f"{when:%Y-%m-%d}",
        f"{when:%H:%M:%S}",
        amount,
        "",
        payer,
        "6222021234567890123",
        virtual_account,
        "保证金",
        txn,
    ]


def upload(client, data: bytes, name: str = "民生银行.csv", profile: BankProfile | None = None):  # type: ignore[no-untyped-def]
    profile = profile or f.generic_profile()
    return client.post("/settlement/finance/import/", {"profile": profile.pk, "file": SimpleUploadedFile(name, data)})


# --- headings ------------------------------------------------------------------------------------


def test_headings_are_compared_without_width_spaces_or_units():
    assert statements.normalize_heading(" 收入金额（元） ") == statements.normalize_heading("收入金额(元)")
    assert statements.normalize_heading("收款 子账号：") == "收款子账号"
    assert statements.normalize_heading("ＡＢＣ") == "abc"


def test_a_file_with_other_banks_headings_is_understood_with_the_generic_profile():
    # given a deposit and a statement whose headings are synonyms of the generic profile's
    deposit = f.instruction(amount=D("50000.00"))
    data = other_bank_file([other_row(amount="50000.00", virtual_account=deposit.virtual_account)])
    # when it is imported with the generic profile
    statement = services.statement_import(
        profile_id=f.generic_profile().pk, file_name="民生.csv", data=data, actor=f.finance()
    )
    # then every column was found and the deposit matched
    assert statement.matched_count == 1
    deposit.refresh_from_db()
    assert deposit.status == DepositInstruction.Status.CONFIRMED
    line = StatementLine.objects.get()
    assert line.bank_txn_id == "T1" and line.remark == "保证金" and line.payer_account == "6222021234567890123"


def test_the_profiles_own_heading_wins_over_a_synonym():
    # given a file with both 子账号 (a synonym) and 收款子账号 (the generic profile's heading)
    layout = statements.match_header(["交易日期", "子账号", "贷方金额", "收款子账号"], f.generic_profile())
    fields = {c.heading: (c.field, c.how) for c in layout.columns}
    assert fields["收款子账号"] == ("virtual_account", "profile")
    assert fields["子账号"] == ("", "")


def test_a_profile_may_add_its_own_synonyms():
    profile = BankProfile.objects.create(
        code="bank-x",
        name="某银行",
        columns={"date": "日期", "amount": "金额"},
        synonyms={"virtual_account": ["入金子户"]},
    )
    layout = statements.match_header(["日期", "金额", "入金子户"], profile)
    assert layout.index == {"date": 0, "amount": 1, "virtual_account": 2}


def test_a_missing_column_is_named_with_the_headings_that_would_do():
    data = f.statement_bytes([["2026-03-02", "100.00"]], header=["交易日期", "发生额"])
    with pytest.raises(StatementInvalid) as caught:
        statements.parse_statement(data, file_name="x.csv", profile=f.generic_profile())
    (line, reason), *_rest = caught.value.errors
    assert line == 1 and "收入金额（贷方）" in reason and "贷方金额" in reason and "收入金额" in reason
    layout = caught.value.layout
    assert layout is not None and [c.field for c in layout.columns] == ["date", ""]


HEADINGS = st.fixed_dictionaries(
    {field: st.sampled_from(statements.COMMON_SYNONYMS[field]) for field in statements.FIELDS}
)


@settings(max_examples=60, deadline=None)
@given(choice=HEADINGS, order=st.permutations(statements.FIELDS), width=st.booleans())
def test_any_common_heading_in_any_order_maps_to_its_field(choice, order, width):
    """Whatever common heading a bank uses for each field, in whatever column order (and in
    full-width forms), the header is understood field by field."""
    profile = BankProfile(code="t", name="t", columns={"date": "交易日期", "amount": "贷方金额"})
    taken: set[str] = set()
    row, expected = [], {}
    for field in order:
        heading = choice[field]
        if statements.normalize_heading(heading) in taken:  # the same words cannot name two fields
            continue
        taken.add(statements.normalize_heading(heading))
        expected[field] = len(row)
        row.append(heading.replace("(", "（").replace(")", "）") + ("（元）" if width and field == "amount" else ""))
    layout = statements.match_header(row, profile)
    assert {k: v for k, v in layout.index.items() if k in expected} == expected


# --- upload, preview, confirm ----------------------------------------------------------------------


@pytest.fixture
def finance(client):  # type: ignore[no-untyped-def]
    user = f.finance()
    client.force_login(user)
    return user


def test_upload_keeps_the_file_and_imports_nothing_until_confirmed(client, finance):
    # given a deposit waiting for its money
    deposit = f.instruction(amount=D("50000.00"))
    data = other_bank_file(
        [
            other_row(amount="50000.00", virtual_account=deposit.virtual_account, txn="T1"),
            other_row(amount="700.00", txn="T2", payer="王建国"),
        ]
    )
    # when finance uploads the statement
    response = upload(client, data)
    record = StatementUpload.objects.get()
    # then the preview opens; nothing is imported, the deposit still waits
    assert response.status_code == 302 and response.url == f"/settlement/finance/import/uploads/{record.pk}/"
    assert record.status == "pending" and record.original_name == "民生银行.csv" and record.line_count == 2
    assert record.file.name.startswith("statements/") and record.file.name.endswith(".csv")
    assert not StatementImport.objects.exists() and not StatementLine.objects.exists()
    assert DepositInstruction.objects.get(pk=deposit.pk).status == "pending"
    # and the preview says how each column and the first rows were read
    page = client.get(response.url).content.decode()
    assert "第 3 行被识别为表头" in page
    assert "虚拟子账号" in page and "收款子账号" in page and "同义列名" in page
    assert deposit.virtual_account in page and "王建国" in page and "将进入来款异常" in page
    assert "确认导入（新增 2 笔）" in page
    # when finance confirms
    response = client.post(response.url, {"action": "confirm"})
    statement = StatementImport.objects.get()
    # then it is imported once, and the import's page opens
    assert response.url == f"/settlement/finance/imports/{statement.pk}/"
    assert (statement.new_count, statement.matched_count, statement.exception_count) == (2, 1, 1)
    assert DepositInstruction.objects.get(pk=deposit.pk).status == "confirmed"
    record.refresh_from_db()
    assert record.status == "imported" and record.statement == statement and record.file
    # a second confirmation (double click, back button) imports nothing more
    again = client.post(f"/settlement/finance/import/uploads/{record.pk}/", {"action": "confirm"})
    assert again.url == response.url and StatementImport.objects.count() == 1 and StatementLine.objects.count() == 2


def test_preview_counts_lines_imported_before(client, finance):
    f.import_rows([f.row(amount="10.00", txn="A1")], actor=finance)
    data = f.statement_bytes([f.row(amount="10.00", txn="A1"), f.row(amount="20.00", txn="A2")])
    response = upload(client, data)
    page = client.get(response.url).content.decode()
    assert "新增 1 笔" in page and "1 笔此前已导入" in page and "已导入过" in page


def test_a_file_that_cannot_be_imported_is_refused_and_not_kept(client, finance):
    data = f.statement_bytes([["2026-03-02", "1.00"]], header=["交易日期", "发生额"])
    response = upload(client, data)
    page = response.content.decode()
    assert response.status_code == 200 and "文件有误，未导入任何记录。" in page
    assert "文件的表头是这样理解的" in page and "缺少（必需）" in page
    assert not StatementUpload.objects.exists()


def test_a_file_that_is_not_a_statement_is_refused_by_the_upload_policy(client, finance):
    response = upload(client, b"%PDF-1.4 not a statement", name="x.csv")
    assert response.status_code == 200 and "不是允许的格式" in response.content.decode()
    assert not StatementUpload.objects.exists()


def test_discarding_deletes_the_file_and_confirming_then_is_refused(
    client, finance, django_capture_on_commit_callbacks
):
    upload(client, f.statement_bytes([f.row(amount="5.00")]))
    record = StatementUpload.objects.get()
    storage, name = record.file.storage, record.file.name
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/settlement/finance/import/uploads/{record.pk}/", {"action": "discard"})
    assert response.url == "/settlement/finance/import/"
    record.refresh_from_db()
    assert record.status == "discarded" and not record.file and not storage.exists(name)
    with pytest.raises(IllegalTransition):
        services.statement_upload_confirm(upload_id=record.pk, actor=finance)
    assert not StatementImport.objects.exists()
    page = client.get(f"/settlement/finance/import/uploads/{record.pk}/").content.decode()
    assert "该文件已放弃或已过期" in page and 'value="confirm"' not in page


def test_unconfirmed_uploads_expire_and_their_files_go(django_capture_on_commit_callbacks, finance):
    record = services.statement_upload_create(
        profile_id=f.generic_profile().pk,
        upload=SimpleUploadedFile("s.csv", f.statement_bytes([f.row(amount="5.00")])),
        actor=finance,
    )
    storage, name = record.file.storage, record.file.name
    assert storage.exists(name)
    StatementUpload.objects.filter(pk=record.pk).update(uploaded_at=record.uploaded_at - dt.timedelta(hours=25))
    with django_capture_on_commit_callbacks(execute=True):
        assert services.statement_uploads_expire() == 1
    record.refresh_from_db()
    assert record.status == "expired" and not storage.exists(name)
    assert services.statement_uploads_expire() == 0


def test_only_finance_uploads_and_confirms():
    supervisor = UserFactory(role="supervisor")
    with pytest.raises(PermissionDenied):
        services.statement_upload_create(
            profile_id=f.generic_profile().pk,
            upload=SimpleUploadedFile("s.csv", f.statement_bytes([f.row(amount="5.00")])),
            actor=supervisor,
        )
    record = services.statement_upload_create(
        profile_id=f.generic_profile().pk,
        upload=SimpleUploadedFile("s.csv", f.statement_bytes([f.row(amount="5.00")])),
        actor=f.finance(),
    )
    with pytest.raises(PermissionDenied):
        services.statement_upload_confirm(upload_id=record.pk, actor=supervisor)
    assert not StatementImport.objects.exists()


# --- templates -------------------------------------------------------------------------------------


def test_templates_carry_the_profiles_headings_and_read_back(client, finance):
    profile = f.generic_profile()
    csv_text = client.get(f"/settlement/finance/import/template/{profile.code}.csv").content.decode("utf-8-sig")
    assert set(next(csv.reader(io.StringIO(csv_text)))) == set(profile.columns.values())
    response = client.get(f"/settlement/finance/import/template/{profile.code}.xlsx")
    book = load_workbook(io.BytesIO(response.content))
    sheet, guide = book.worksheets
    header = [c.value for c in sheet[1]]
    assert set(header) == set(profile.columns.values())
    guide_rows = list(guide.iter_rows(values_only=True))
    assert guide_rows[0] == ("列名", "含义", "是否必填", "说明", "也可使用的列名")
    assert guide_rows[1 + header.index("收款子账号")][:3] == ("收款子账号", "收款子账号", "选填")
    # filled in, the Excel template imports
    when = f.QUALIFIED + dt.timedelta(hours=1)
    values = {"交易日期": f"{when:%Y-%m-%d}", "交易时间": f"{when:%H:%M:%S}", "贷方金额": "88.00", "对方户名": "李四"}
    sheet.append([values.get(h, "") for h in header])
    out = io.BytesIO()
    book.save(out)
    statement = services.statement_import(profile_id=profile.pk, file_name="t.xlsx", data=out.getvalue(), actor=finance)
    assert StatementLine.objects.get(statement=statement).payer_name == "李四"


def test_templates_neutralise_formula_like_headings(client, finance):
    BankProfile.objects.create(code="evil", name="x", columns={"date": '=HYPERLINK("http://x")', "amount": "金额"})
    csv_text = client.get("/settlement/finance/import/template/evil.csv").content.decode("utf-8-sig")
    assert next(csv.reader(io.StringIO(csv_text)))[0] == '\'=HYPERLINK("http://x")'
    sheet = load_workbook(io.BytesIO(client.get("/settlement/finance/import/template/evil.xlsx").content)).active
    cell = sheet["A1"]
    assert cell.data_type == "s" and cell.quotePrefix


def test_template_of_an_unknown_format_is_404(client, finance):
    assert client.get("/settlement/finance/import/template/generic.pdf").status_code == 404
    assert client.get("/settlement/finance/import/template/nope.csv").status_code == 404


def test_the_import_page_names_each_formats_columns_and_templates(client, finance):
    page = client.get("/settlement/finance/import/").content.decode()
    assert "各格式需要的列" in page and "收款子账号" in page and "也可使用的列名" in page
    assert "/settlement/finance/import/template/generic.xlsx" in page
    assert "/settlement/finance/import/template/icbc.csv" in page


# --- the page of one import --------------------------------------------------------------------------


def test_history_opens_the_lines_of_an_import(client, finance):
    deposit = f.instruction(amount=D("300.00"))
    upload(
        client,
        f.statement_bytes(
            [f.row(amount="300.00", virtual_account=deposit.virtual_account), f.row(amount="9.00", payer="王建国")]
        ),
    )
    record = StatementUpload.objects.get()
    client.post(f"/settlement/finance/import/uploads/{record.pk}/", {"action": "confirm"})
    statement = StatementImport.objects.get()
    history = client.get("/settlement/finance/import/").content.decode()
    assert f"/settlement/finance/imports/{statement.pk}/" in history
    assert f"/settlement/finance/imports/{statement.pk}/" in client.get("/settlement/finance/").content.decode()
    page = client.get(f"/settlement/finance/imports/{statement.pk}/").content.decode()
    line = StatementLine.objects.get(payer_name="王建国")
    assert f"/settlement/finance/exceptions/{line.pk}/" in page and "去处理" in page
    assert f"保证金：{deposit.project_code}" in page
    sheet = load_workbook(
        io.BytesIO(client.get(f"/settlement/finance/imports/{statement.pk}/?format=xlsx").content)
    ).active
    assert [c.value for c in sheet[1]][:3] == ["行号", "到账时间", "付款户名"]
    original = client.get(f"/settlement/finance/imports/{statement.pk}/file/")
    assert original.status_code == 200 and original["X-Content-Type-Options"] == "nosniff"
    assert b"".join(original.streaming_content) == record.file.open("rb").read()


def test_supervisor_reads_an_import_but_cannot_upload(client):
    finance = f.finance()
    statement = f.import_rows([f.row(amount="1.00")], actor=finance)
    client.force_login(UserFactory(role="supervisor"))
    assert client.get(f"/settlement/finance/imports/{statement.pk}/").status_code == 200
    assert client.get("/settlement/finance/import/").status_code == 403
    assert upload(client, f.statement_bytes([f.row(amount="2.00")])).status_code == 403
    assert not StatementUpload.objects.exists()
