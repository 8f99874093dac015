"""The role matrix (docs/design/decisions.md D13): who may do what.

Each role is a Django group; its permissions are listed here, plus the grants each
business app declares in its own `role_grants` module (named by its AppConfig, core/registry.py).
A migration creates the groups and `sync_roles()` (run after every `migrate`) makes the
database match this table exactly, so adding a permission to a role is a one-line
change here. Staff roles also need `User.is_staff` to enter the back office.

监管 (supervisor) gets every `view_*` permission of the project's models and nothing else:
read-only everything.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from exchange.core import registry


@dataclass(frozen=True)
class Role:
    key: str
    name: str  # the group name, as staff know it (Chinese; translated only for display)
    staff: bool
    permissions: tuple[str, ...] = field(default_factory=tuple)  # "app_label.codename"
    description: Any = ""


# Apps whose models the supervisor may see (every model of these apps), besides every app of
# the project (core/registry.py): supervised_apps().
SUPERVISED_LIBRARY_APPS = ("auth", "auditlog", "django_tasks_db", "axes")

# Business apps add their own permissions to staff roles in `exchange.<app>.role_grants`
# (a module with `GRANTS: dict[role_key, tuple[perm, ...]]`, named by the AppConfig's
# `role_grants`), so that each app declares who may use it next to its code;
# `role_permissions()` merges them into this matrix.

_CONTENT = ("portal.view_article", "portal.add_article", "portal.change_article")

ROLES: tuple[Role, ...] = (
    # --- members -----------------------------------------------------------------------
    Role("seller", gettext_noop("转让方"), staff=False, description=_("挂牌转让项目的会员")),
    Role("bidder", gettext_noop("意向受让方"), staff=False, description=_("报名受让、参与竞价的会员")),
    Role("partner", gettext_noop("合作商户"), staff=False, description=_("经纪会员、服务会员等合作机构")),
    # --- exchange staff ------------------------------------------------------------------
    Role(
        "reviewer",
        gettext_noop("业务审核"),
        staff=True,
        permissions=(
            "accounts.view_user",
            "accounts.view_verification",
            "accounts.review_verification",
            "core.view_region",
            "core.view_holidayoverride",
        ),
        description=_("项目经理：审核会员实名认证、挂牌申请与受让资格"),
    ),
    Role(
        "finance",
        gettext_noop("结算"),
        staff=True,
        permissions=("accounts.view_user", "core.view_holidayoverride"),
        description=_("结算部：保证金、价款、佣金与退款"),
    ),
    Role(
        "manager",
        gettext_noop("部门经理"),
        staff=True,
        permissions=(
            "accounts.view_user",
            "accounts.view_verification",
            "accounts.review_verification",
            "core.view_region",
            "core.view_holidayoverride",
            "core.add_holidayoverride",
            "core.change_holidayoverride",
            "core.delete_holidayoverride",
            "core.view_heartbeat",
            "portal.view_article",
            "portal.change_article",
            "auditlog.view_logentry",
        ),
        description=_("复核与审批，维护工作日历"),
    ),
    Role(
        "operations",
        gettext_noop("运营"),
        staff=True,
        permissions=(
            "accounts.view_user",
            "core.view_holidayoverride",
            "core.add_holidayoverride",
            "core.change_holidayoverride",
            *_CONTENT,
            "portal.delete_article",
        ),
        description=_("平台运营：内容、活动、工作日历"),
    ),
    Role(
        "promotion",
        gettext_noop("推广"),
        staff=True,
        permissions=("portal.view_article",),
        description=_("渠道与广告推广"),
    ),
    Role(
        "tech",
        gettext_noop("技术/美工"),
        staff=True,
        permissions=(*_CONTENT, "core.view_heartbeat"),
        description=_("网站技术与页面设计"),
    ),
    Role(
        "service",
        gettext_noop("客服"),
        staff=True,
        permissions=("accounts.view_user", "accounts.view_verification", "portal.view_article"),
        description=_("解答会员咨询，协助认证"),
    ),
    Role("copywriter", gettext_noop("文案"), staff=True, permissions=_CONTENT, description=_("新闻资讯与公告文案")),
    Role("supervisor", gettext_noop("监管"), staff=True, description=_("网上监管：只读查看全部数据")),
)

ROLE_BY_KEY = {role.key: role for role in ROLES}
MEMBER_ROLE_KEYS = tuple(r.key for r in ROLES if not r.staff)
# What a member may choose at registration. 合作商户 (partner, a broker) is granted only by
# staff after reviewing the firm's documents (exchange.brokers.services.broker_approve).
SELF_SERVICE_ROLE_KEYS = ("seller", "bidder")
STAFF_ROLE_KEYS = tuple(r.key for r in ROLES if r.staff)


def role_permissions(role: Role) -> set[str]:
    """The full permission set of a role as 'app_label.codename' strings."""
    if role.key == "supervisor":
        from django.contrib.auth.models import Permission

        return {
            f"{app}.{codename}"
            for app, codename in Permission.objects.filter(
                content_type__app_label__in=supervised_apps(), codename__startswith="view_"
            ).values_list("content_type__app_label", "codename")
        }
    return set(role.permissions) | set(app_grants().get(role.key, ()))


def supervised_apps() -> tuple[str, ...]:
    """The app labels whose every model 监管 may view: the project's apps and a few libraries'."""
    return SUPERVISED_LIBRARY_APPS + tuple(config.label for config in registry.exchange_apps())


def app_grants() -> dict[str, tuple[str, ...]]:
    """Role key → permissions granted by the apps (their AppConfig's `role_grants`)."""
    merged: dict[str, tuple[str, ...]] = {}
    for label, grants in registry.role_grants():
        for key, perms in grants.items():
            if key not in ROLE_BY_KEY:
                raise LookupError(f"{label} role_grants: unknown role {key}")
            merged[key] = merged.get(key, ()) + tuple(perms)
    return merged


def sync_roles(using: str = "default") -> None:
    """Create every role group and give it exactly the permissions of the matrix."""
    from django.contrib.auth.models import Group, Permission

    for role in ROLES:
        group, _created = Group.objects.using(using).get_or_create(name=role.name)
        wanted = role_permissions(role)
        perms = []
        for dotted in sorted(wanted):
            app_label, codename = dotted.split(".", 1)
            perm = Permission.objects.using(using).filter(content_type__app_label=app_label, codename=codename).first()
            if perm is None:
                raise LookupError(f"role {role.key}: unknown permission {dotted}")
            perms.append(perm)
        group.permissions.set(perms)


def ensure_roles(using: str = "default") -> None:
    """Create every model permission that is missing, then sync the role groups (idempotent)."""
    from django.apps import apps
    from django.contrib.auth.management import create_permissions

    for app_config in apps.get_app_configs():
        create_permissions(app_config, verbosity=0, using=using)
    sync_roles(using=using)


def sync_after_migrate(sender: Any, using: str = "default", plan: Any = None, **kwargs: Any) -> None:
    """post_migrate hook: permissions of new models exist only after migrate, so sync then."""
    if sender.label == "accounts":
        ensure_roles(using=using)
