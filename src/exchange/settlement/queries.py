"""Reads the settlement services make while they write (no writes here). The public read
API for pages, the API and other apps is `selectors`."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import Decimal

from exchange.settlement import ledger
from exchange.settlement.models import ZERO, Account, AccountKind, Posting, PricePlan, StatementLine

IN_CHUNK = 900  # values per SQL IN (…): below SQLite's default limit of 999 parameters


def known_fingerprints(prints: Sequence[str]) -> set[str]:
    """Which of these statement-line fingerprints were imported before."""
    known: set[str] = set()
    for i in range(0, len(prints), IN_CHUNK):
        known.update(
            StatementLine.objects.filter(fingerprint__in=prints[i : i + IN_CHUNK]).values_list("fingerprint", flat=True)
        )
    return known


def posting_credit(posting: Posting) -> Decimal:
    """What a posting credited (the sum of its credit entries, as a positive amount)."""
    return -sum((e.amount for e in posting.entries.all() if e.amount < 0), ZERO)


def price_balances(plans: Iterable[PricePlan]) -> dict[int, Decimal]:
    """What each plan's buyer holds in their price account for the project (by plan pk)."""
    keys = {ledger.member_account_key(AccountKind.PRICE, p.buyer_id, p.project_id): p.pk for p in plans}
    balances = dict(Account.objects.filter(key__in=list(keys)).values_list("key", "balance"))
    return {pk: balances.get(key, ZERO) for key, pk in keys.items()}


def last_price_payment(plan: PricePlan | None) -> StatementLine | None:
    """The latest bank line credited to a price plan (matched or resolved by hand), if any."""
    if plan is None:
        return None
    return (
        StatementLine.objects.filter(
            plan=plan, status__in=[StatementLine.Status.MATCHED, StatementLine.Status.RESOLVED]
        )
        .order_by("-booked_at", "-pk")
        .first()
    )
