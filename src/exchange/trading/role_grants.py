"""Permissions this app grants to the staff roles of exchange.accounts.roles (merged there).

业务审核 review buyer applications and set a project's trading terms; 部门经理 do the
same and handle rounds without buyers; 结算 and 客服 see applications. 监管 sees every
view_* automatically.
"""

_VIEW = (
    "trading.view_application",
    "trading.view_material",
    "trading.view_review",
    "trading.view_consortiummember",
    "trading.view_tradingterms",
    "trading.view_priorityholder",
    "trading.view_outcome",
)

GRANTS: dict[str, tuple[str, ...]] = {
    "reviewer": (
        *_VIEW,
        "trading.review_application",
        "trading.change_tradingterms",
        "trading.add_priorityholder",
        "trading.change_priorityholder",
        "trading.delete_priorityholder",
    ),
    "manager": (
        *_VIEW,
        "trading.review_application",
        "trading.manage_outcome",
        "trading.change_tradingterms",
        "trading.add_priorityholder",
        "trading.change_priorityholder",
        "trading.delete_priorityholder",
    ),
    "finance": ("trading.view_application", "trading.view_outcome"),
    "service": ("trading.view_application",),
}
