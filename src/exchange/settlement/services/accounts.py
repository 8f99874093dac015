"""Virtual sub-accounts (a 16-digit number per buyer and project, Luhn check digit) and the
members' deposit accounts of the ledger, created in bulk for the statement import."""

from __future__ import annotations

import secrets
from collections.abc import Sequence

from exchange.core import clock
from exchange.settlement import conf, ledger
from exchange.settlement.models import Account, AccountKind, DepositInstruction


def luhn_digit(digits: str) -> str:
    """The Luhn check digit of a digit string (as on bank cards)."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        n = int(ch)
        if i % 2 == 0:
            n = n * 2 - 9 if n > 4 else n * 2
        total += n
    return str((10 - total % 10) % 10)


def virtual_account_valid(number: str) -> bool:
    return len(number) == 16 and number.isdigit() and luhn_digit(number[:-1]) == number[-1]


def new_virtual_account() -> str:
    """A fresh virtual sub-account number: the configured prefix, random digits, the check digit."""
    prefix = conf.virtual_account_prefix()
    body = prefix + "".join(str(secrets.randbelow(10)) for _ in range(15 - len(prefix)))
    return body + luhn_digit(body)


def deposit_accounts(instructions: Sequence[DepositInstruction]) -> dict[int, Account]:
    """The deposit account of each instruction (by instruction pk), created in bulk where
    missing (named as `ledger.member_account` names them)."""
    keys = {i.pk: ledger.member_account_key(AccountKind.DEPOSIT, i.member_id, i.project_id) for i in instructions}
    found = Account.objects.in_bulk(list(set(keys.values())), field_name="key")
    now = clock.now()
    missing: dict[str, Account] = {}
    for i in instructions:
        key = keys[i.pk]
        if key not in found and key not in missing:
            missing[key] = Account(
                key=key,
                kind=AccountKind.DEPOSIT,
                owner_id=i.member_id,
                project_id=i.project_id,
                project_code=i.project_code,
                created_at=now,
                name=ledger.member_account_name(AccountKind.DEPOSIT, i.member.name, i.project_id, i.project_code),
            )
    if missing:
        Account.objects.bulk_create(missing.values())
        found = Account.objects.in_bulk(list(set(keys.values())), field_name="key")
    return {pk: found[key] for pk, key in keys.items()}
