"""Page forms. They parse and show errors; the rules live in services."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.forms import AuthenticationForm, PasswordChangeForm, SetPasswordForm
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator, RegexValidator
from django.utils.translation import gettext_lazy as _
from unfold.forms import AuthenticationForm as UnfoldAuthenticationForm

from exchange.accounts import roles
from exchange.accounts.backends import LOGIN_MAX_LENGTH, PASSWORD_MAX_LENGTH
from exchange.accounts.models import MemberType, phone_validator
from exchange.core.text import PlainTextField


def _bound_passwords(form: forms.Form, *names: str) -> None:
    """Give Django's password fields (which take any length) our PASSWORD_MAX_LENGTH."""
    for name in names:
        field = form.fields[name]
        field.max_length = PASSWORD_MAX_LENGTH  # type: ignore[attr-defined]
        field.validators.append(MaxLengthValidator(PASSWORD_MAX_LENGTH))
        field.widget.attrs["maxlength"] = str(PASSWORD_MAX_LENGTH)


def _bound_login(form: AuthenticationForm) -> None:
    """Undo what Django's AuthenticationForm does after building its fields: it gives the login
    field the length of USERNAME_FIELD (the phone number, 11), so a browser stopped typing an
    e-mail at `buyer1@demo` and the login failed. The field takes a phone number or an e-mail:
    LOGIN_MAX_LENGTH (254, the longest e-mail address), in the HTML and on the server."""
    field = form.fields["username"]
    field.max_length = LOGIN_MAX_LENGTH  # type: ignore[attr-defined]
    field.widget.attrs["maxlength"] = str(LOGIN_MAX_LENGTH)
    field.validators = [v for v in field.validators if not isinstance(v, MaxLengthValidator)]
    field.validators.append(MaxLengthValidator(LOGIN_MAX_LENGTH))


class LoginForm(AuthenticationForm):
    """Every field bounded: a longer value is a form error, and `authenticate()` — and with it
    the lockout's records — never sees it. The login field takes a phone number or an e-mail."""

    username = forms.CharField(
        label=_("手机号码或电子邮箱"),
        max_length=LOGIN_MAX_LENGTH,
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "username"}),
    )
    password = forms.CharField(
        label=_("密码"),
        strip=False,
        max_length=PASSWORD_MAX_LENGTH,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    error_messages = {
        "invalid_login": _("手机号码/电子邮箱或密码不正确。"),
        "inactive": _("该账户已停用，请联系客服。"),
    }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _bound_login(self)


class AdminLoginForm(UnfoldAuthenticationForm):
    """The back office's login (admin.site.login_form; unfold's styled staff-only form): phone
    number or e-mail, like the site's."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["username"].label = _("手机号码或电子邮箱")
        self.fields["username"].widget.attrs["autocomplete"] = "username"
        _bound_login(self)
        _bound_passwords(self, "password")


def sms_code_field() -> forms.CharField:
    """The six digits of an SMS code (sms_codes); its page puts a 获取验证码 button beside it."""
    return forms.CharField(
        label=_("短信验证码"),
        min_length=6,
        max_length=6,
        validators=[RegexValidator(r"^\d{6}$", _("请输入6位数字验证码。"))],
        error_messages={"min_length": _("请输入6位数字验证码。")},
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "pattern": "[0-9]{6}", "size": "8"}
        ),
    )


def phone_field(**attrs: str) -> forms.CharField:
    return forms.CharField(
        validators=[phone_validator],
        label=_("手机号码"),
        max_length=11,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "tel", **attrs}),
    )


class SmsLoginForm(AuthenticationForm):
    """验证码登录: the phone number and the code sent to it. `authenticate()` gets
    `username=phone, sms_code=code` (backends.SmsCodeBackend), so the rate limits and the
    lockout apply as to a password."""

    username = phone_field(autofocus="autofocus")
    password = None  # type: ignore[assignment]
    sms_code = sms_code_field()
    error_messages = {
        "invalid_login": _("手机号码或验证码不正确，或验证码已失效，请重新获取。"),
        "inactive": _("该账户已停用，请联系客服。"),
    }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["username"].label = _("手机号码")

    def clean(self) -> dict[str, Any]:
        phone, code = self.cleaned_data.get("username"), self.cleaned_data.get("sms_code")
        if phone and code:
            self.user_cache = authenticate(self.request, username=phone, sms_code=code)
            if self.user_cache is None:
                raise self.get_invalid_login_error()
            self.confirm_login_allowed(self.user_cache)
        return self.cleaned_data

    def get_invalid_login_error(self) -> ValidationError:
        return ValidationError(self.error_messages["invalid_login"], code="invalid_login")


class PhoneResetForm(forms.Form):
    """找回密码 by phone: the number, the code sent to it (purpose reset) and the new password."""

    phone = phone_field(autofocus="autofocus")
    sms_code = sms_code_field()
    new_password1 = forms.CharField(
        label=_("新密码"),
        max_length=PASSWORD_MAX_LENGTH,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("至少8位，不能全是数字"),
    )
    new_password2 = forms.CharField(
        label=_("确认新密码"),
        max_length=PASSWORD_MAX_LENGTH,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("new_password1") and data.get("new_password1") != data.get("new_password2"):
            self.add_error("new_password2", _("两次输入的密码不一致。"))
        return data


class RegisterForm(forms.Form):
    member_type = forms.ChoiceField(
        label=_("会员类型"), choices=MemberType.choices, widget=forms.RadioSelect, initial=MemberType.PERSON
    )
    name = PlainTextField(label=_("姓名/单位名称"), max_length=100)
    phone = phone_field()
    sms_code = sms_code_field()
    email = forms.EmailField(label=_("电子邮箱"), max_length=254)
    roles = forms.MultipleChoiceField(
        label=_("我要"),
        choices=[(k, _(roles.ROLE_BY_KEY[k].name)) for k in roles.SELF_SERVICE_ROLE_KEYS],
        widget=forms.CheckboxSelectMultiple,
        initial=["bidder"],
    )
    password1 = forms.CharField(
        label=_("密码"),
        max_length=PASSWORD_MAX_LENGTH,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("至少8位，不能全是数字"),
    )
    password2 = forms.CharField(
        label=_("确认密码"),
        max_length=PASSWORD_MAX_LENGTH,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    agree = forms.BooleanField(label=_("我已阅读并同意《会员服务协议》和《隐私政策》"))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("password1") and data.get("password1") != data.get("password2"):
            self.add_error("password2", _("两次输入的密码不一致。"))
        return data


class BoundedSetPasswordForm(SetPasswordForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _bound_passwords(self, "new_password1", "new_password2")


class BoundedPasswordChangeForm(PasswordChangeForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _bound_passwords(self, "old_password", "new_password1", "new_password2")


class VerificationForm(forms.Form):
    name = PlainTextField(label=_("真实姓名/单位全称"), max_length=100)
    id_number = forms.CharField(
        label=_("证件号码"), max_length=18, help_text=_("个人填写18位身份证号码，单位填写统一社会信用代码")
    )
    legal_representative = PlainTextField(
        label=_("法定代表人"), max_length=50, required=False, help_text=_("单位会员必填")
    )
    # plain file fields: the upload policy (exchange.core.uploads, called by the service)
    # decides, for this form and the API alike
    document_front = forms.FileField(
        label=_("身份证人像面/营业执照"), widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png"})
    )
    document_back = forms.FileField(
        label=_("身份证国徽面"),
        required=False,
        help_text=_("个人会员必填"),
        widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        mb = settings.UPLOAD_MAX_IMAGE_BYTES // (1024 * 1024)
        self.fields["document_front"].help_text = _("JPG 或 PNG，不超过 %(mb)s MB") % {"mb": mb}


class RejectForm(forms.Form):
    reason = forms.CharField(label=_("驳回原因"), max_length=200, widget=forms.Textarea(attrs={"rows": 3}))
