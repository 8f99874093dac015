"""Permissions this app grants to the staff roles of exchange.accounts.roles (merged there).

业务审核 (reviewer) and 部门经理 (manager) keep the 失信名单 (add / lift entries: the admin's
add page needs add_blacklistentry, the services check manage_blacklist); both see
failed notification deliveries and may resend them. Messages themselves are private to
their recipients (staff read them only in the read-only admin, with view_message).
"""

_VIEW = (
    "members.view_blacklistentry",
    "members.view_delivery",
)

GRANTS: dict[str, tuple[str, ...]] = {
    "reviewer": (*_VIEW, "members.add_blacklistentry", "members.manage_blacklist", "members.resend_delivery"),
    "manager": (
        *_VIEW,
        "members.view_message",
        "members.add_blacklistentry",
        "members.manage_blacklist",
        "members.resend_delivery",
    ),
}
