"""Members and staff, real-name verification, API tokens."""

from __future__ import annotations

from typing import Any, ClassVar

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from exchange.core import uploads
from exchange.core.text import normalize, validate_plain_text

phone_validator = RegexValidator(r"^1[3-9]\d{9}$", _("请输入11位中国大陆手机号码。"), code="invalid_phone")


class MemberType(models.TextChoices):
    PERSON = "person", _("自然人")
    ENTITY = "entity", _("法人或其他组织")


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def _create(self, phone: str, email: str, password: str | None, **extra: Any) -> User:
        user = self.model(phone=phone, email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, phone: str, email: str, password: str | None = None, **extra: Any) -> User:
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create(phone, email, password, **extra)

    def create_superuser(self, phone: str, email: str, password: str | None = None, **extra: Any) -> User:
        extra.update(is_staff=True, is_superuser=True)
        extra.setdefault("name", "系统管理员")
        return self._create(phone, email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """A member (natural person or legal entity) or an exchange staff member.

    Logs in with phone or e-mail. `member_no` is assigned once at creation and never
    changes. `real_name`/`id_number`/`verified_at` hold the identity accepted by a
    staff review of a `Verification`; they are empty until then.
    """

    phone = models.CharField(_("手机号码"), max_length=11, unique=True, validators=[phone_validator])
    email = models.EmailField(_("电子邮箱"), unique=True)
    name = models.CharField(
        _("名称"), max_length=100, help_text=_("个人姓名或单位名称"), validators=[validate_plain_text]
    )
    member_type = models.CharField(_("会员类型"), max_length=10, choices=MemberType.choices, default=MemberType.PERSON)
    member_no = models.CharField(_("会员编号"), max_length=12, unique=True, null=True, blank=True, editable=False)
    real_name = models.CharField(_("认证名称"), max_length=100, blank=True, validators=[validate_plain_text])
    id_number = models.CharField(_("认证证件号"), max_length=18, blank=True, help_text=_("身份证号或统一社会信用代码"))
    verified_at = models.DateTimeField(_("实名认证时间"), null=True, blank=True)
    is_active = models.BooleanField(_("有效"), default=True)
    is_staff = models.BooleanField(_("交易所员工"), default=False, help_text=_("可登录管理后台"))
    date_joined = models.DateTimeField(_("注册时间"), default=timezone.now)

    objects: ClassVar[UserManager] = UserManager()

    USERNAME_FIELD = "phone"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["email"]

    class Meta:
        verbose_name = _("用户")
        verbose_name_plural = _("用户")
        ordering = ["-date_joined"]
        constraints = [
            models.UniqueConstraint(
                fields=["id_number"], condition=~Q(id_number=""), name="user_unique_verified_id_number"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name}（{self.member_no or self.phone}）"

    def save(self, *args: Any, **kwargs: Any) -> None:
        """Saves; assigns the member number once; and revokes every API token of the user when
        the password was changed (`set_password` — by the member, a reset link, the back office
        or `manage.py changepassword`) or the account is inactive. A password upgraded to a
        new hasher at login (`check_password`) is not a change and keeps the tokens."""
        revoke = self.pk is not None and (self._password is not None or not self.is_active)  # type: ignore[attr-defined]
        reason = "password_changed" if self._password is not None else "deactivated"  # type: ignore[attr-defined]
        super().save(*args, **kwargs)
        if revoke:
            # imported here: accounts.services imports this module (a cycle at import time)
            from exchange.accounts.services import api_tokens_revoke_all

            api_tokens_revoke_all(user_id=self.pk, reason=reason)
        if not self.member_no:  # assigned once, from the primary key: stable and unique
            self.member_no = f"M{self.pk:08d}"
            type(self).objects.filter(pk=self.pk).update(member_no=self.member_no)

    def clean(self) -> None:
        super().clean()
        self.name = normalize(self.name or "")  # NFC: one name is stored one way

    @property
    def is_verified(self) -> bool:
        return self.verified_at is not None

    def get_full_name(self) -> str:
        return self.name

    def get_short_name(self) -> str:
        return self.name


def _document_path(instance: Verification, filename: str) -> str:
    """A name the server makes: the extension is the detected format's (exchange.core.uploads
    renamed the upload), never the client's."""
    return f"verification/{instance.user_id}/{uploads.stored_basename(filename)}"


class Verification(models.Model):
    """One real-name verification request (实名认证申请) and its review decision."""

    class Status(models.TextChoices):
        PENDING = "pending", _("待审核")
        APPROVED = "approved", _("已通过")
        REJECTED = "rejected", _("已驳回")

    TRANSITIONS: ClassVar[dict[str, set[str]]] = {
        Status.PENDING: {Status.APPROVED, Status.REJECTED},
        Status.APPROVED: set(),
        Status.REJECTED: set(),
    }

    user = models.ForeignKey(User, verbose_name=_("会员"), on_delete=models.PROTECT, related_name="verifications")
    member_type = models.CharField(_("主体类型"), max_length=10, choices=MemberType.choices)
    name = models.CharField(_("姓名/单位名称"), max_length=100, validators=[validate_plain_text])
    id_number = models.CharField(_("证件号码"), max_length=18, help_text=_("身份证号码或统一社会信用代码"))
    legal_representative = models.CharField(
        _("法定代表人"), max_length=50, blank=True, validators=[validate_plain_text]
    )
    document_front = models.ImageField(_("证件正面/营业执照"), upload_to=_document_path)
    document_back = models.ImageField(_("证件反面"), upload_to=_document_path, blank=True)
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True)
    reject_reason = models.CharField(_("驳回原因"), max_length=200, blank=True)
    submitted_at = models.DateTimeField(_("提交时间"), default=timezone.now)
    reviewed_by = models.ForeignKey(
        User, verbose_name=_("审核人"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reviewed_at = models.DateTimeField(_("审核时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("实名认证")
        verbose_name_plural = _("实名认证")
        ordering = ["-submitted_at"]
        permissions = [("review_verification", _("可以审核实名认证"))]
        constraints = [
            models.UniqueConstraint(
                fields=["user"], condition=Q(status="pending"), name="verification_one_pending_per_user"
            ),
            models.CheckConstraint(
                condition=~Q(status="rejected") | ~Q(reject_reason=""), name="verification_rejection_has_reason"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} · {self.get_status_display()}"

    @property
    def masked_id_number(self) -> str:
        n = self.id_number
        return n[:4] + "*" * max(len(n) - 8, 0) + n[-4:] if len(n) > 8 else n


class ApiToken(models.Model):
    """A bearer token for API clients (app, mini-program). Only its SHA-256 is stored.

    Revoking a token deletes its row (the member in the member center, `POST /api/v1/auth/logout`,
    and every token of a user when the password changes or the account is deactivated): the
    one-statement lookups by digest then find nothing.
    """

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens", verbose_name=_("用户"))
    digest = models.CharField(_("摘要"), max_length=64, unique=True)
    prefix = models.CharField(_("前缀"), max_length=8, help_text=_("令牌前 8 位，便于识别"))
    label = models.CharField(_("客户端"), max_length=100, blank=True, default="", help_text=_("应用名称或浏览器标识"))
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    expires_at = models.DateTimeField(_("过期时间"))
    last_used_at = models.DateTimeField(_("最近使用"), null=True, blank=True)

    class Meta:
        verbose_name = _("API 令牌")
        verbose_name_plural = _("API 令牌")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user})"


class SmsCode(models.Model):
    """One SMS verification code (短信验证码), bound to a number and a purpose.

    The code itself is never stored: the row keeps a random salt and a keyed hash (HMAC-SHA256
    with a key derived from SECRET_KEY) of purpose, number, code and salt; the sending task
    derives the code from the salt with the same key (`sms_codes`). A six-digit code's plain
    hash would fall to 10⁶ guesses; without the key the table tells nothing. Only the newest
    code of a (number, purpose) counts; it is good until `expires_at`, once (`used_at`), and
    for SMS_CODE_MAX_ATTEMPTS wrong tries. Rows are deleted a day after they expire.
    """

    class Purpose(models.TextChoices):
        REGISTER = "register", _("注册")
        LOGIN = "login", _("登录")
        RESET = "reset", _("重设密码")

    class Outcome(models.TextChoices):
        PENDING = "pending", _("待发送")
        SENDING = "sending", _("发送中")
        SENT = "sent", _("已发送验证码")
        NOTICE = "notice", _("号码已注册，已发送提示")
        SKIPPED = "skipped", _("未发送（无可用账户）")
        EXPIRED = "expired", _("发送前已失效")
        FAILED = "failed", _("发送失败")

    phone = models.CharField(_("手机号码"), max_length=11)
    purpose = models.CharField(_("用途"), max_length=10, choices=Purpose.choices)
    salt = models.CharField(_("盐"), max_length=32, editable=False)
    digest = models.CharField(_("摘要"), max_length=64, editable=False)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    expires_at = models.DateTimeField(_("过期时间"))
    attempts = models.PositiveSmallIntegerField(_("错误次数"), default=0)
    used_at = models.DateTimeField(_("使用时间"), null=True, blank=True)
    requested_from = models.CharField(_("请求网络"), max_length=64, blank=True, default="")
    outcome = models.CharField(
        _("发送结果"), max_length=10, choices=Outcome.choices, default=Outcome.PENDING, db_index=True
    )
    sent_at = models.DateTimeField(_("发送时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("短信验证码")
        verbose_name_plural = _("短信验证码")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["phone", "purpose", "-created_at"], name="smscode_latest")]

    def __str__(self) -> str:
        return f"{self.masked_phone} · {self.get_purpose_display()}"

    @property
    def masked_phone(self) -> str:
        return mask_phone(self.phone)


def mask_phone(phone: str) -> str:
    """139****0011: what pages and the back office show of a number a code went to."""
    return f"{phone[:3]}****{phone[-4:]}" if len(phone) == 11 else phone
