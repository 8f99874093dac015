"""The double-entry ledger: accounts, balanced postings, and the verifier.

Every movement of money is one `posting_create` call: the entries must sum to zero
(checked here, before anything is written), the accounts are locked in ascending pk
order (`select_for_update`; SQLite serialises whole transactions with IMMEDIATE), the
cached balances change in the same transaction, and the idempotency key makes a repeat
a no-op. Entries are never updated or deleted; a correction is `posting_reverse`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Count
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from exchange.core import clock
from exchange.core.errors import Conflict, InvalidInput
from exchange.core.money import exact_money
from exchange.core.money_sql import fen_sum, yuan_from_fen
from exchange.settlement.models import (
    DEBIT_NORMAL,
    MEMBER_KINDS,
    ZERO,
    Account,
    AccountKind,
    DepositInstruction,
    Entry,
    Posting,
)


class UnbalancedPosting(InvalidInput):
    code = "unbalanced_posting"


class InsufficientFunds(Conflict):
    code = "insufficient_funds"


SYSTEM_NAMES: dict[str, Any] = {
    AccountKind.BANK: gettext_lazy("银行结算账户"),
    AccountKind.FEE_INCOME: gettext_lazy("服务费收入"),
    AccountKind.DISCOUNT_EXPENSE: gettext_lazy("优惠券/折扣支出"),
    AccountKind.FORFEIT_INCOME: gettext_lazy("没收保证金"),
    AccountKind.REFUNDS_PAYABLE: gettext_lazy("应退款项"),
    AccountKind.SUSPENSE: gettext_lazy("待查明款项"),
}


def system_account(kind: str) -> Account:
    """The exchange's own account of a kind (created on first use)."""
    account, _created = Account.objects.get_or_create(
        key=f"sys:{kind}", defaults={"kind": kind, "name": str(SYSTEM_NAMES[kind]), "created_at": clock.now()}
    )
    return account


def member_account_key(kind: str, member_id: int, project_id: int) -> str:
    """The key of a member's account of `kind` for one project (unique: one account each)."""
    return f"{kind}:u{member_id}:p{project_id}"


def member_account_name(kind: str, member_name: str, project_id: int, project_code: str = "") -> str:
    return f"{AccountKind(kind).label} · {member_name} · {project_code or project_id}"


def member_account(*, kind: str, member: Any, project_id: int, project_code: str = "") -> Account:
    """A member's account for one project (deposit, price or seller payable), created on first use."""
    if kind not in MEMBER_KINDS:
        raise ValueError(kind)
    account, _created = Account.objects.get_or_create(
        key=member_account_key(kind, member.pk, project_id),
        defaults={
            "kind": kind,
            "owner": member,
            "project_id": project_id,
            "project_code": project_code,
            "name": member_account_name(kind, member.name, project_id, project_code),
            "created_at": clock.now(),
        },
    )
    return account


def lock_accounts(ids: Iterable[int]) -> dict[int, Account]:
    """Lock accounts in ascending pk order (the one lock order, so postings cannot deadlock)."""
    ordered = sorted(set(ids))
    locked = {a.pk: a for a in Account.objects.select_for_update().filter(pk__in=ordered).order_by("pk")}
    if len(locked) != len(ordered):
        raise InvalidInput(_("账户不存在。"))
    return locked


def _amount(value: object) -> Decimal:
    """An amount of a posting: `exact_money`'s rule (finite, fen-exact, at most 16 integer
    digits; negative allowed: credits are negative), narrowed to Decimal — the ledger takes
    no int, as every amount posted comes from a money column or a money helper."""
    if not isinstance(value, Decimal):
        raise InvalidInput(_("金额必须是数值。"), field="amount")
    return exact_money(value)


@dataclass
class PostingSpec:
    """A posting to write: (account, signed amount: debit +, credit −) lines summing to zero."""

    key: str
    reason: str
    lines: Sequence[tuple[Account | int, Decimal]]
    reference: str = ""
    memo: str = ""
    project_id: int | None = None
    freeze: dict[int, Decimal] | None = None
    reverses: Posting | None = None


def _validated(spec: PostingSpec) -> tuple[dict[int, Decimal], dict[int, Decimal]]:
    if not spec.key:
        raise InvalidInput(_("缺少幂等键。"))
    amounts: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for account, value in spec.lines:
        amount = _amount(value)
        if amount == 0:
            raise InvalidInput(_("分录金额不能为零。"))
        amounts[account if isinstance(account, int) else account.pk] += amount
    if len(spec.lines) < 2 or sum(amounts.values(), ZERO) != 0:
        raise UnbalancedPosting(_("借贷不平衡：分录合计必须为零。"))
    freeze = {k: _amount(v) for k, v in (spec.freeze or {}).items() if v}
    return amounts, freeze


@transaction.atomic
def postings_create(*, specs: Sequence[PostingSpec], actor: Any = None) -> list[Posting]:
    """Write many balanced postings in one transaction (the statement import's path).

    Every spec is validated before anything is written; the union of their accounts is
    locked once in ascending pk order; specs whose key already exists are skipped (their
    existing posting is returned in their place); balances are updated once per account.
    Raises UnbalancedPosting / InvalidInput / InsufficientFunds; then nothing is written.
    """
    checked = [(spec, *_validated(spec)) for spec in specs]
    keys = [spec.key for spec in specs]
    if len(set(keys)) != len(keys):
        raise InvalidInput(_("同一批凭证中幂等键重复。"))
    account_ids = {pk for _spec, amounts, freeze in checked for pk in (*amounts, *freeze)}
    locked = lock_accounts(account_ids)
    existing: dict[str, Posting] = {}
    for chunk in range(0, len(keys), 500):
        existing.update(Posting.objects.in_bulk(keys[chunk : chunk + 500], field_name="key"))
    todo = [item for item in checked if item[0].key not in existing]
    delta: dict[int, Decimal] = defaultdict(lambda: ZERO)
    frozen: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for _spec, amounts, freeze in todo:
        for pk, amount in amounts.items():
            delta[pk] += amount
        for pk, amount in freeze.items():
            frozen[pk] += amount
    changed = []
    for pk, account in locked.items():
        if pk not in delta and pk not in frozen:
            continue
        sign = 1 if account.kind in DEBIT_NORMAL else -1
        account.balance += sign * delta.get(pk, ZERO)
        account.frozen += frozen.get(pk, ZERO)
        if account.frozen < 0 or (account.frozen > 0 and account.frozen > account.balance):
            raise InsufficientFunds(_("冻结金额不能超过账户余额。"), account=account.pk)
        if account.kind in MEMBER_KINDS and account.balance < 0:
            raise InsufficientFunds(_("账户余额不足：%(name)s") % {"name": account.name}, account=account.pk)
        changed.append(account)
    now = clock.now()
    user = actor if getattr(actor, "is_authenticated", False) else None
    created = Posting.objects.bulk_create(
        [
            Posting(
                key=spec.key,
                reason=spec.reason,
                reference=spec.reference,
                memo=spec.memo[:300],
                project_id=spec.project_id,
                created_by=user,
                created_at=now,
                reverses=spec.reverses,
            )
            for spec, _a, _f in todo
        ]
    )
    if any(p.pk is None for p in created):  # a backend that cannot return ids from a bulk insert
        by_key = Posting.objects.in_bulk([p.key for p in created], field_name="key")
        created = [by_key[p.key] for p in created]
    Entry.objects.bulk_create(
        [
            Entry(posting=posting, account_id=pk, amount=amount)
            for posting, (_spec, amounts, _f) in zip(created, todo, strict=True)
            for pk, amount in amounts.items()
            if amount
        ],
        batch_size=2000,
    )
    if changed:
        Account.objects.bulk_update(changed, ["balance", "frozen"], batch_size=500)
    made = {p.key: p for p in created}
    return [existing.get(key) or made[key] for key in keys]


def posting_create(
    *,
    key: str,
    reason: str,
    lines: Sequence[tuple[Account | int, Decimal]],
    reference: str = "",
    memo: str = "",
    project_id: int | None = None,
    actor: Any = None,
    freeze: dict[int, Decimal] | None = None,
    reverses: Posting | None = None,
) -> Posting:
    """Write one balanced posting and update the cached balances (and frozen amounts).

    `lines` are (account, signed amount: debit +, credit −); they must sum to zero and
    none may be zero or carry more than 2 decimals. `freeze` maps account pk → change of
    its frozen amount. Locks the accounts in ascending pk order. Idempotent on `key`:
    a posting with the same key is returned unchanged. Raises UnbalancedPosting,
    InvalidInput or InsufficientFunds (a member account below zero or below its frozen
    amount); on any of them nothing is written.
    """
    spec = PostingSpec(key, reason, lines, reference, memo, project_id, freeze, reverses)
    return postings_create(specs=[spec], actor=actor)[0]


def posting_reverse(*, posting_id: int, actor: Any, reason: str) -> Posting:
    """Correct a posting by a new posting with every entry negated (the original stays)."""
    original = Posting.objects.get(pk=posting_id)
    lines = [(e.account_id, -e.amount) for e in original.entries.all()]
    return posting_create(
        key=f"reverse:{original.pk}",
        reason="reversal",
        reference=original.reference,
        memo=_("冲正 #%(id)s：%(reason)s") % {"id": original.pk, "reason": reason},
        project_id=original.project_id,
        lines=lines,
        actor=actor,
        reverses=original,
    )


# --- verifier ------------------------------------------------------------------------------


@dataclass
class LedgerReport:
    """What `ledger_verify` found: counts and a list of breaches (empty = the ledger holds)."""

    postings: int = 0
    entries: int = 0
    accounts: int = 0
    breaches: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.breaches

    def text(self) -> str:
        head = _("凭证 %(p)d 张，分录 %(e)d 条，账户 %(a)d 个。") % {
            "p": self.postings,
            "e": self.entries,
            "a": self.accounts,
        }
        if self.ok:
            return head + " " + _("账务核对通过。")
        return "\n".join([head, _("发现 %(n)d 处异常：") % {"n": len(self.breaches)}, *self.breaches])


def ledger_verify(*, limit: int = 200) -> LedgerReport:
    """Check the whole ledger: every posting balanced (and with ≥2 entries), every cached
    balance equal to its entries, no member account negative, 0 ≤ frozen ≤ balance, and
    each deposit account's frozen amount equal to its confirmed deposits. Read-only."""
    report = LedgerReport()
    breaches = report.breaches
    report.postings = Posting.objects.count()
    report.entries = Entry.objects.count()
    bad_postings = (
        Entry.objects.values("posting_id")
        .annotate(total=fen_sum("amount"), n=Count("id"))
        .exclude(total=0, n__gte=2)
        .order_by("posting_id")
    )
    for row in bad_postings[:limit]:
        breaches.append(
            _("凭证 #%(id)s 不平衡：合计 %(t)s，分录 %(n)s 条")
            % {"id": row["posting_id"], "t": yuan_from_fen(row["total"]), "n": row["n"]}
        )
    empty = Posting.objects.filter(entries__isnull=True).values_list("pk", flat=True)[:limit]
    breaches.extend(_("凭证 #%(id)s 没有分录") % {"id": pk} for pk in empty)
    sums = {
        account_id: yuan_from_fen(cents)
        for account_id, cents in Entry.objects.values("account_id")
        .annotate(total=fen_sum("amount"))
        .values_list("account_id", "total")
    }
    frozen_expected: dict[int, Decimal] = defaultdict(lambda: ZERO)
    held = (DepositInstruction.Status.CONFIRMED,)
    for account_id, amount in DepositInstruction.objects.filter(status__in=held).values_list("account_id", "amount"):
        frozen_expected[account_id] += amount
    for account in Account.objects.order_by("pk").iterator(chunk_size=2000):
        report.accounts += 1
        sign = 1 if account.kind in DEBIT_NORMAL else -1
        derived = sign * (sums.get(account.pk) or ZERO)
        if derived != account.balance:
            breaches.append(
                _("账户 %(name)s（#%(id)s）缓存余额 %(cached)s ≠ 分录合计 %(derived)s")
                % {"name": account.name, "id": account.pk, "cached": account.balance, "derived": derived}
            )
        if account.kind in MEMBER_KINDS and account.balance < 0:
            breaches.append(_("会员账户 %(name)s 余额为负：%(b)s") % {"name": account.name, "b": account.balance})
        if account.frozen < 0 or account.frozen > max(account.balance, ZERO):
            breaches.append(
                _("账户 %(name)s 冻结金额 %(f)s 超出余额 %(b)s")
                % {"name": account.name, "f": account.frozen, "b": account.balance}
            )
        if account.kind == AccountKind.DEPOSIT and account.frozen != frozen_expected.get(account.pk, ZERO):
            breaches.append(
                _("保证金账户 %(name)s 冻结金额 %(f)s ≠ 已确认保证金 %(e)s")
                % {"name": account.name, "f": account.frozen, "e": frozen_expected.get(account.pk, ZERO)}
            )
        if len(breaches) >= limit:
            break
    return report


def trial_balance() -> list[dict[str, Any]]:
    """Balances per account kind on their natural side (debit / credit), from the cached balances."""
    rows = []
    totals = Account.objects.values("kind").annotate(cents=fen_sum("balance"), n=Count("id")).order_by("kind")
    for row in totals:
        debit_normal = row["kind"] in DEBIT_NORMAL
        balance = yuan_from_fen(row["cents"])
        rows.append(
            {
                "kind": row["kind"],
                "label": AccountKind(row["kind"]).label,
                "accounts": row["n"],
                "debit": balance if debit_normal else ZERO,
                "credit": ZERO if debit_normal else balance,
            }
        )
    return rows
