"""Settlement throughput: bank statement import and the whole-ledger verifier.

    .venv/bin/python bench/settlement.py                       # scratch SQLite file (WAL, as shipped)
    .venv/bin/python bench/settlement.py --database-url postgres://postgres@127.0.0.1:5432/exchange_settlement_bench

Runs against a scratch database (created and migrated here; an existing one of that name is
replaced). Prints:
1. statement import: a 100,000-line GBK CSV (2,000 lines pay a deposit exactly and are matched
   and frozen, the rest are unknown payers that go to suspense), lines/s; then the same file
   again (every line recognised as a duplicate, nothing credited twice);
2. verifier: bulk-generates balanced postings up to 1,000,000 entries (SQL, seconds) and times
   `ledger_verify()` over all of them.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))


def setup(database_url: str) -> None:
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "exchange.settings")
    os.environ.setdefault("FAST_PASSWORD_HASHER", "1")
    import django

    django.setup()
    import logging

    logging.disable(logging.WARNING)
    from django.core.management import call_command

    if database_url.startswith("postgres"):
        _recreate_postgres(database_url)
    call_command("migrate", verbosity=0)


def _recreate_postgres(url: str) -> None:
    import psycopg

    base, name = url.rsplit("/", 1)
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')


def bench_import(lines: int, matched: int) -> None:
    from django.utils import timezone

    from exchange.accounts.models import User
    from exchange.core import clock
    from exchange.settlement import services
    from exchange.settlement.models import BankProfile, DepositInstruction

    now = clock.now()
    User.objects.bulk_create(
        [
            User(phone=f"1370{i:07d}", email=f"bench{i}@example.com", name=f"竞买人{i}", password="!")
            for i in range(matched)
        ]
    )
    members = list(User.objects.filter(phone__startswith="1370").order_by("pk"))
    due = now + timezone.timedelta(days=5)
    instructions = [
        DepositInstruction(
            project_id=1 + i % 50,
            project_code=f"B-{1 + i % 50:04d}",
            project_title="压测项目",
            member=m,
            amount=Decimal("10000.00"),
            virtual_account=services._new_virtual_account(),
            qualified_at=now,
            due_at=due,
            created_at=now,
            updated_at=now,
        )
        for i, m in enumerate(members)
    ]
    DepositInstruction.objects.bulk_create(instructions, batch_size=1000)
    day = f"{timezone.localtime(now):%Y-%m-%d}"
    rows = ["交易流水号,交易日期,交易时间,贷方金额,借方金额,对方户名,对方账号,对方开户行,收款子账号,摘要"]
    for i in range(lines):
        if i < matched:
            va, amount, payer = instructions[i].virtual_account, "10000.00", f"竞买人{i}"
        else:
            va, amount, payer = "", f"{(i * 7919) % 900000 / 100 + 1:.2f}", f"付款单位{i}"
        rows.append(f"TX{i:08d},{day},10:{i % 60:02d}:00,{amount},,{payer},62220{i:011d},工商银行太原分行,{va},保证金")
    data = ("\r\n".join(rows) + "\r\n").encode("gbk")
    profile = BankProfile.objects.get(code="generic")
    started = time.perf_counter()
    statement = services.statement_import(profile_id=profile.pk, file_name="bench.csv", data=data, actor=None)
    took = time.perf_counter() - started
    print(
        f"statement import: {lines:,} lines ({len(data) / 1e6:.1f} MB GBK) in {took:.1f} s = {lines / took:,.0f} lines/s "
        f"(matched {statement.matched_count:,}, exceptions {statement.exception_count:,})"
    )
    started = time.perf_counter()
    again = services.statement_import(profile_id=profile.pk, file_name="bench.csv", data=data, actor=None)
    took = time.perf_counter() - started
    print(
        f"same file again: {again.duplicate_count:,} duplicates, {again.new_count} new, {took:.1f} s = {lines / took:,.0f} lines/s"
    )


def generate_entries(target: int) -> None:
    """Bulk-insert balanced postings (bank debit / member deposit credit) until `target` entries."""
    from django.db import connection, transaction

    from exchange.accounts.models import User
    from exchange.core import clock
    from exchange.settlement import ledger
    from exchange.settlement.models import Account, AccountKind, Entry, Posting

    have = Entry.objects.count()
    postings = max(0, (target - have) // 2)
    bank = ledger.system_account(AccountKind.BANK)
    owner = User.objects.order_by("pk").first()
    now = clock.now()
    Account.objects.bulk_create(
        [
            Account(
                key=f"bench:{k}",
                kind=AccountKind.DEPOSIT,
                name=f"压测账户{k}",
                owner=owner,
                project_id=100000 + k,
                created_at=now,
            )
            for k in range(1000)
        ]
    )
    dep = list(Account.objects.filter(key__startswith="bench:").order_by("pk").values_list("pk", flat=True))
    assert dep == list(range(dep[0], dep[0] + 1000)), "deposit accounts must have contiguous ids"
    started = time.perf_counter()
    first = (Posting.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1
    with transaction.atomic(), connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute(
                "INSERT INTO settlement_posting (id, key, reason, reference, memo, created_at) "
                "SELECT %s + i, 'bench:' || i, 'bench', '', '', now() FROM generate_series(0, %s - 1) i",
                [first, postings],
            )
            amount = "((((%s + i)::bigint * 7919) %% 100000) + 1)::numeric / 100"
            cur.execute(
                f"INSERT INTO settlement_entry (posting_id, account_id, amount) "
                f"SELECT %s + i, %s, {amount} FROM generate_series(0, %s - 1) i "
                f"UNION ALL SELECT %s + i, %s + (i %% 1000), -{amount} FROM generate_series(0, %s - 1) i",
                [first, bank.pk, first, postings, first, dep[0], first, postings],
            )
            cur.execute("SELECT setval(pg_get_serial_sequence('settlement_posting', 'id'), %s)", [first + postings])
        else:
            series = "WITH RECURSIVE s(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM s WHERE i < %s - 1)"
            cur.execute(
                f"INSERT INTO settlement_posting (id, key, reason, reference, memo, created_at) {series} "
                f"SELECT %s + i, 'bench:' || i, 'bench', '', '', datetime('now') FROM s",
                [postings, first],
            )
            amount = "((((%s + i) * 7919) %% 100000) + 1) / 100.0"
            cur.execute(
                f"INSERT INTO settlement_entry (posting_id, account_id, amount) {series} "
                f"SELECT %s + i, %s, {amount} FROM s UNION ALL SELECT %s + i, %s + (i %% 1000), -{amount} FROM s",
                [postings, first, bank.pk, first, first, dep[0], first],
            )
    # cached balances, computed exactly (Decimal) from the same formula
    bank_total = Decimal(0)
    per_account = [Decimal(0)] * 1000
    for i in range(postings):
        value = Decimal(((first + i) * 7919) % 100000 + 1) / 100
        bank_total += value
        per_account[i % 1000] += value
    accounts = list(Account.objects.filter(pk__in=dep).order_by("pk"))
    for account, total in zip(accounts, per_account, strict=True):
        account.balance = total
    Account.objects.bulk_update(accounts, ["balance"], batch_size=500)
    bank.refresh_from_db()
    Account.objects.filter(pk=bank.pk).update(balance=bank.balance + bank_total)
    took = time.perf_counter() - started
    print(f"generated {postings:,} postings / {2 * postings:,} entries in {took:.1f} s")


def bench_verify() -> None:
    from exchange.settlement.ledger import ledger_verify

    started = time.perf_counter()
    report = ledger_verify()
    took = time.perf_counter() - started
    print(
        f"ledger_verify: {report.entries:,} entries, {report.postings:,} postings, {report.accounts:,} accounts "
        f"in {took:.1f} s -> {'OK' if report.ok else 'BREACHES: ' + '; '.join(report.breaches[:3])}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default="")
    parser.add_argument("--lines", type=int, default=100_000)
    parser.add_argument("--matched", type=int, default=2_000)
    parser.add_argument("--entries", type=int, default=1_000_000)
    args = parser.parse_args()
    url = args.database_url or f"sqlite:///{tempfile.mkdtemp(prefix='settlement-bench-')}/bench.sqlite3"
    print(f"database: {url.split('@')[-1]}")
    setup(url)
    bench_import(args.lines, args.matched)
    generate_entries(args.entries)
    bench_verify()


if __name__ == "__main__":
    main()
