from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "exchange.accounts"
    label = "accounts"
    verbose_name = _("会员与账户")

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from exchange.accounts import roles
        from exchange.core import audit

        audit.register_models(self, exclude_fields={"user": ["password", "last_login"]}, exclude=["apitoken"])
        post_migrate.connect(roles.sync_after_migrate, dispatch_uid="accounts.sync_roles")
