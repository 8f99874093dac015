from collections.abc import Iterable

from django.utils.translation import gettext_lazy as _

from exchange.core import registry
from exchange.core.registry import Every, UploadRoute
from exchange.core.work_queues import WorkQueue


class AccountsConfig(registry.ExchangeAppConfig):
    name = "exchange.accounts"
    label = "accounts"
    verbose_name = _("会员与账户")
    urls = "exchange.accounts.urls"
    url_prefix = "accounts/"
    # the API's /auth, /me and /verifications are the project's own (exchange/api.py)
    schedules = (Every(3600, "exchange.accounts.tasks.sms_codes_purge"),)
    upload_routes = (
        UploadRoute(r"/api/v1/me/verification", "two_images", "identity documents (API): two images"),
        UploadRoute(r"/accounts/verification/", "two_images", "identity documents (page): two images"),
    )

    def ready(self) -> None:
        from django.contrib.auth.signals import user_login_failed
        from django.db.models.signals import post_migrate

        from exchange.accounts import protection, roles
        from exchange.core import audit

        super().ready()
        # SMS codes are not audited field by field: their salt and digest stay out of the trail,
        # and the flows they open (registration, password reset) are audited themselves
        audit.register_models(
            self, exclude_fields={"user": ["password", "last_login"]}, exclude=["apitoken", "smscode"]
        )
        post_migrate.connect(roles.sync_after_migrate, dispatch_uid="accounts.sync_roles")
        user_login_failed.connect(protection.on_login_failed, dispatch_uid="accounts.login_rate_limits")

    def work_queues(self) -> Iterable[WorkQueue]:
        from exchange.accounts.models import Verification

        yield WorkQueue(
            key="accounts.verification_pending",
            label=_("实名认证待审核"),
            permission="accounts.review_verification",
            items=lambda: Verification.objects.filter(status=Verification.Status.PENDING),
            age_field="submitted_at",
            url_name="admin:accounts_verification_changelist",
            url_query="status__exact=pending",
        )
