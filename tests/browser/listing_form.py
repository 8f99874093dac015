"""Filling the disclosure sections of the listing form (我要挂牌) in a browser test."""

from __future__ import annotations

from typing import Any

CONTACT = {"attr_contact_name": "赵建国", "attr_contact_phone": "0351-7020001"}
COMPANY = {
    "attr_co_legal_rep": "李国栋", "attr_co_established": "2003-06-18", "attr_co_employees": "286",
    "attr_co_scope": "矿山机械的设计、制造、销售及维修。",
    "attr_fin_year": "2025", "attr_fin_auditor": "山西三晋会计师事务所", "attr_fin_total_assets": "68,400,000",
    "attr_fin_total_liabilities": "38200000", "attr_fin_equity": "30200000.00", "attr_fin_revenue": "120000000",
    "attr_fin_net_profit": "-1250000.50",
    "attr_val_firm": "山西三晋正信资产评估有限公司", "attr_val_book_value": "30200000", "attr_val_appraised_value": "35700000",
}  # fmt: skip
SHAREHOLDERS = (("晋中市示范机械有限公司控股股东", "51"), ("晋中市国有资本投资运营有限公司", "49"))


def fill_contact(page: Any) -> None:
    for name, value in CONTACT.items():
        page.fill(f"[name={name}]", value)


def fill_company(page: Any, shareholders: tuple[tuple[str, str], ...] = SHAREHOLDERS) -> None:
    """标的企业基本情况, 股权结构, 财务指标 and 评估情况 of a 股权 / 增资 project."""
    page.select_option("select[name=attr_co_type]", "llc")
    for name, value in COMPANY.items():
        page.fill(f"[name={name}]", value)
    for row, (holder, percent) in enumerate(shareholders):
        page.fill(f"input[name=attr_shareholders-{row}-name]", holder)
        page.fill(f"input[name=attr_shareholders-{row}-percent]", percent)
