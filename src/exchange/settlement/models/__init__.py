"""Settlement: the double-entry escrow ledger, deposits, bank statements, payouts, fees.

Sign convention of the ledger: an `Entry.amount` is positive for a debit and negative
for a credit; the entries of one posting sum to zero. `Account.balance` is the balance on
the account's normal side (debit-normal kinds: balance = Σ amounts; credit-normal kinds:
balance = −Σ amounts), so a member's deposit reads as a positive number.

The models live in submodules by subject (accounts and postings of the ledger, fees,
deposits, bank statements, payouts, prices); this package re-exports them all, so
`exchange.settlement.models.<Name>` is the import path everywhere.
"""

from __future__ import annotations

from exchange.settlement.models.accounts import (
    DEBIT_NORMAL,
    MEMBER_KINDS,
    ZERO,
    Account,
    AccountKind,
    InsertOnlyError,
    InsertOnlyModel,
    InsertOnlyQuerySet,
)
from exchange.settlement.models.deposits import CreditEvent, DepositInstruction
from exchange.settlement.models.fees import FeeBand, FeeFixedItem, FeeSchedule, FeeSide, TradingMethod
from exchange.settlement.models.payouts import PaymentBatch, PaymentItem
from exchange.settlement.models.postings import Entry, Posting, posting_reasons
from exchange.settlement.models.prices import Instalment, PricePlan
from exchange.settlement.models.statements import BankProfile, StatementImport, StatementLine, StatementUpload

__all__ = [
    "DEBIT_NORMAL",
    "MEMBER_KINDS",
    "ZERO",
    "Account",
    "AccountKind",
    "BankProfile",
    "CreditEvent",
    "DepositInstruction",
    "Entry",
    "FeeBand",
    "FeeFixedItem",
    "FeeSchedule",
    "FeeSide",
    "InsertOnlyError",
    "InsertOnlyModel",
    "InsertOnlyQuerySet",
    "Instalment",
    "PaymentBatch",
    "PaymentItem",
    "Posting",
    "PricePlan",
    "StatementImport",
    "StatementLine",
    "StatementUpload",
    "TradingMethod",
    "posting_reasons",
]
