"""Permissions this app grants to the staff roles of exchange.accounts.roles (merged there).

Only 结算 (finance) moves money: manual postings, matching or returning exceptions,
deposit outcomes, preparing and approving payment batches (four-eyes is enforced by the
services: the approver is never the preparer). 监管 sees every view_* automatically.
"""

_VIEW = (
    "settlement.view_account",
    "settlement.view_posting",
    "settlement.view_entry",
    "settlement.view_depositinstruction",
    "settlement.view_statementimport",
    "settlement.view_statementline",
    "settlement.view_statementupload",
    "settlement.view_paymentbatch",
    "settlement.view_paymentitem",
    "settlement.view_feeschedule",
    "settlement.view_feeband",
    "settlement.view_feefixeditem",
    "settlement.view_bankprofile",
    "settlement.view_creditevent",
    "settlement.view_priceplan",
    "settlement.view_instalment",
)

GRANTS: dict[str, tuple[str, ...]] = {
    "finance": (
        *_VIEW,
        "settlement.post_manual_posting",
        "settlement.add_statementimport",
        "settlement.resolve_statementline",
        "settlement.manage_depositinstruction",
        "settlement.prepare_paymentbatch",
        "settlement.approve_paymentbatch",
        "settlement.add_feeschedule",
        "settlement.change_feeschedule",
        "settlement.add_feeband",
        "settlement.change_feeband",
        "settlement.delete_feeband",
        "settlement.add_feefixeditem",
        "settlement.change_feefixeditem",
        "settlement.delete_feefixeditem",
        "settlement.add_bankprofile",
        "settlement.change_bankprofile",
    ),
    "manager": ("settlement.view_feeschedule", "settlement.view_paymentbatch", "settlement.view_depositinstruction"),
}
