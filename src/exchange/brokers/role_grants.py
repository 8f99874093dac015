"""Permissions this app grants to the staff roles of exchange.accounts.roles (merged there).

业务审核 and 部门经理 review the firms that ask for broker status (经纪会员资格) and see the
mandates (委托) between brokers and sellers; 客服 sees both to answer members' questions.
监管 sees everything through its automatic view_* permissions.
"""

_VIEW = ("brokers.view_brokerapplication", "brokers.view_mandate", "brokers.view_mandateproject")

GRANTS: dict[str, tuple[str, ...]] = {
    "reviewer": (*_VIEW, "brokers.review_brokerapplication"),
    "manager": (*_VIEW, "brokers.review_brokerapplication"),
    "service": _VIEW,
}
