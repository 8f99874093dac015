"""The 产权交易合同 and the 交易凭证, as pages and as Chinese PDFs (WeasyPrint, Noto CJK).

The contract text comes from `templates/deals/contracts/<category>.html` (股权 has its
own; every other category uses `default.html`), with amounts in figures and in 大写.
The certificate PDF carries a QR code (segno) of the public verification URL.
"""

from __future__ import annotations

from typing import Any

import segno
from django.template.loader import render_to_string
from django.utils import timezone
from weasyprint import HTML

from exchange.core import clock
from exchange.core.money import format_yuan, to_chinese_upper
from exchange.deals import conf
from exchange.deals.models import Certificate, Deal


def contract_context(deal: Deal) -> dict[str, Any]:
    project = deal.project
    contract = deal.contract
    return {
        "deal": deal,
        "project": project,
        "contract": contract,
        "attributes": project.attributes or {},
        "exchange_name": conf.exchange_name(),
        "price": format_yuan(deal.price),
        "price_upper": to_chinese_upper(deal.price),
        "valuation": format_yuan(project.valuation),
        "floor": format_yuan(project.floor_price),
        "deposit": format_yuan(project.deposit_amount),
        "deposit_upper": to_chinese_upper(project.deposit_amount),
        "buyer_fee": format_yuan(deal.buyer_fee),
        "buyer_fee_upper": to_chinese_upper(deal.buyer_fee),
        "seller_fee": format_yuan(deal.seller_fee),
        "seller_fee_upper": to_chinese_upper(deal.seller_fee),
        "deal_date": timezone.localdate(deal.opened_at),
        "sign_deadline": deal.sign_deadline,
        "payment_workdays": 5,
        "body_template": f"deals/contracts/{contract.template}.html",
        "generated_at": timezone.localtime(clock.now()),
    }


def contract_html(deal: Deal, *, pdf: bool = False) -> str:
    template = "deals/pdf/contract.html" if pdf else "deals/contracts/_body.html"
    return render_to_string(template, contract_context(deal))


def contract_pdf(deal: Deal) -> bytes:
    return bytes(HTML(string=contract_html(deal, pdf=True)).write_pdf())


def qr_data_uri(url: str) -> str:
    return str(segno.make(url, error="m").png_data_uri(scale=4, border=2))


def certificate_html(certificate: Certificate, *, verify_url: str) -> str:
    context = {
        "cert": certificate,
        "facts": certificate.facts,
        "verify_url": verify_url,
        "qr": qr_data_uri(verify_url),
        "issued_at": timezone.localtime(certificate.issued_at),
    }
    return render_to_string("deals/pdf/certificate.html", context)


def certificate_pdf(certificate: Certificate, *, verify_url: str) -> bytes:
    return bytes(HTML(string=certificate_html(certificate, verify_url=verify_url)).write_pdf())
