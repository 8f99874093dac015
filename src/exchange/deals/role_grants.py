"""Permissions this app grants to the staff roles of exchange.accounts.roles (merged there).

业务审核 (project managers) review contracts and record defaults; 部门经理 also issue and
revoke certificates (and relist through listings.manage_disclosure); 结算 sees deals and
may issue a certificate once the money is in. 监管 sees every view_* automatically.
"""

_VIEW = ("deals.view_deal", "deals.view_contract", "deals.view_certificate")

GRANTS: dict[str, tuple[str, ...]] = {
    "reviewer": (*_VIEW, "deals.review_contract", "deals.record_default"),
    "manager": (
        *_VIEW,
        "deals.review_contract",
        "deals.record_default",
        "deals.issue_certificate",
        "deals.revoke_certificate",
    ),
    "finance": (*_VIEW, "deals.issue_certificate"),
}
