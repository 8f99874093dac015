"""The 竞价结果确认书 (bidding result confirmation), rendered to PDF with WeasyPrint."""

from __future__ import annotations

from typing import Any

from django.template.loader import render_to_string
from django.utils import timezone
from weasyprint import HTML

from exchange.bidding.models import Auction, Bid
from exchange.core import clock
from exchange.core.money import format_yuan, to_chinese_upper


def confirmation_context(auction: Auction) -> dict[str, Any]:
    winner = auction.winner
    last = Bid.objects.filter(auction=auction).order_by("-seq").first()
    return {
        "auction": auction,
        "winner": winner,
        "winner_user": winner.user if winner else None,
        "price": format_yuan(auction.final_price) if auction.final_price is not None else "",
        "price_upper": to_chinese_upper(auction.final_price) if auction.final_price is not None else "",
        "start_price": format_yuan(auction.start_price),
        "bid_count": auction.seq,
        "head_hash": auction.head_hash,
        "last_bid": last,
        "closed_at": timezone.localtime(auction.closed_at) if auction.closed_at else None,
        "generated_at": timezone.localtime(clock.now()),
        "bidder_count": auction.bidders.count(),
    }


def confirmation_html(auction: Auction) -> str:
    return render_to_string("bidding_documents/confirmation.html", confirmation_context(auction))


def confirmation_pdf(auction: Auction) -> bytes:
    return bytes(HTML(string=confirmation_html(auction)).write_pdf())
