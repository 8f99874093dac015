"""The files of a payment batch (代发) exchanged with the bank: the payout file we send
(CSV in GBK) and the result file the bank returns, line by line. No database access."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from typing import Final, NamedTuple

from django.utils.translation import gettext as _

from exchange.core import spreadsheet
from exchange.settlement.models import PaymentItem
from exchange.settlement.statements import StatementInvalid, decode

BANK_FILE_HEADER: Final = ["序号", "业务参考号", "收款户名", "收款账号", "收款行", "金额", "用途"]
RESULT_HEADER: Final = ["业务参考号", "处理结果", "银行流水号", "失败原因"]


class PayoutResult(NamedTuple):
    """One line of the bank's result file."""

    line_no: int
    reference: str
    ok: bool
    bank_txn_id: str
    reason: str


def payout_file(items: Iterable[PaymentItem]) -> bytes:
    """The payout file of a batch's items: numbered rows, amounts with 2 decimals, the kind
    of payment (and its project) as the purpose; formula-safe through core.spreadsheet."""
    rows = []
    for n, item in enumerate(items, start=1):
        purpose = item.get_kind_display() + (f" {item.project_code}" if item.project_code else "")
        rows.append(
            [n, item.reference, item.payee_name, item.payee_account, item.payee_bank, f"{item.amount:.2f}", purpose]
        )
    return spreadsheet.csv_bytes(BANK_FILE_HEADER, rows, encoding="gb18030")


def parse_payout_result(data: bytes) -> list[PayoutResult]:
    """The lines of a result file (blank lines skipped). Raises StatementInvalid with line
    numbers for a wrong header or a result other than 成功/失败."""
    text, _enc = decode(data)
    rows = list(csv.reader(io.StringIO(text, newline="")))
    if not rows or [c.strip() for c in rows[0][:2]] != RESULT_HEADER[:2]:
        raise StatementInvalid([(1, _("回执表头应为：%(h)s") % {"h": "、".join(RESULT_HEADER)})])
    out: list[PayoutResult] = []
    errors: list[tuple[int, str]] = []
    for n, row in enumerate(rows[1:], start=2):
        if not any(c.strip() for c in row):
            continue
        cells = [c.strip() for c in row] + ["", "", "", ""]
        if cells[1] not in ("成功", "失败"):
            errors.append((n, _("处理结果应为“成功”或“失败”")))
            continue
        out.append(PayoutResult(n, cells[0], cells[1] == "成功", cells[2], cells[3]))
    if errors:
        raise StatementInvalid(errors)
    return out
