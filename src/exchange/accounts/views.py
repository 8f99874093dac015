"""Member pages: login, registration, password, member center, real-name verification."""

from __future__ import annotations

import hashlib
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods

from exchange.accounts import protection, selectors, services, sms_codes
from exchange.accounts.backends import axes_username
from exchange.accounts.forms import (
    BoundedPasswordChangeForm,
    BoundedSetPasswordForm,
    LoginForm,
    PhoneResetForm,
    RegisterForm,
    SmsLoginForm,
    VerificationForm,
)
from exchange.accounts.models import Verification
from exchange.core import clock, ratelimit, uploads
from exchange.core.errors import DomainError, InvalidInput, NotFound, RateLimited


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True


class SmsLoginView(auth_views.LoginView):
    """验证码登录: the phone number and an SMS code (purpose login) instead of a password. The
    button 获取验证码 posts `send_code` (pages with script ask the API instead, same rules)."""

    template_name = "accounts/login_sms.html"
    authentication_form = SmsLoginForm
    redirect_authenticated_user = True

    @method_decorator(sensitive_post_parameters("sms_code"))
    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if "send_code" in request.POST:
            form = self.get_form_class()(request, initial=_initial(request, ("username",)))
            code_context, status = _send_code(request, sms_codes.Purpose.LOGIN, request.POST.get("username", ""))
            context = self.get_context_data(form=form, **code_context)
            return self.render_to_response(context, status=status)
        return super().post(request, *args, **kwargs)


def _initial(request: HttpRequest, names: tuple[str, ...], lists: tuple[str, ...] = ()) -> dict[str, Any]:
    """What a page re-rendered after 获取验证码 shows again (never passwords or codes)."""
    initial: dict[str, Any] = {name: request.POST.get(name, "")[:254] for name in names}
    initial.update({name: request.POST.getlist(name)[:10] for name in lists})
    return initial


def _send_code(request: HttpRequest, purpose: str, phone: str) -> tuple[dict[str, Any], int]:
    """获取验证码 without script: ask for a code; (context for the page, status). The answer is
    the same whether the number has an account (sms_codes.code_request)."""
    try:
        sent = sms_codes.code_request(phone=phone, purpose=purpose, address=ratelimit.client_address(request))
    except RateLimited as exc:
        return {"code_error": exc.message, "resend_after": exc.data.get("retry_after")}, 429
    except InvalidInput as exc:
        return {"code_error": exc.message}, 200
    return {"code_notice": sent.message, "resend_after": sent.resend_after}, 200


class PasswordResetView(auth_views.PasswordResetView):
    template_name = "accounts/password_reset.html"
    email_template_name = "accounts/email/password_reset.txt"
    subject_template_name = "accounts/email/password_reset_subject.txt"
    success_url = reverse_lazy("accounts:password_reset_done")
    extra_email_context = {"EXCHANGE_NAME": settings.EXCHANGE_NAME}

    def form_valid(self, form: Any) -> HttpResponse:
        """The answer is the same page whether the address has an account or not ("if it is
        registered, a link was sent"). Limits: PASSWORD_RESET_RATE_PER_ADDRESS and _GLOBAL
        requests (a 429 page with the wait), and at most PASSWORD_RESET_PER_HOUR mails to one
        mailbox (further requests look the same but send nothing)."""
        wait = protection.request_wait(self.request, "password_reset")
        if wait is not None:
            return too_many_requests(self.request, wait)
        key = "pwreset:" + hashlib.sha256(form.cleaned_data["email"].strip().lower().encode()).hexdigest()
        cache.add(key, 0, timeout=3600)
        if cache.incr(key) > settings.PASSWORD_RESET_PER_HOUR:
            return HttpResponseRedirect(self.get_success_url())
        return super().form_valid(form)


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    """Setting a new password through the link revokes every API token (User.save)."""

    template_name = "accounts/password_reset_confirm.html"
    success_url = reverse_lazy("accounts:password_reset_complete")
    form_class = BoundedSetPasswordForm


class PasswordChangeView(auth_views.PasswordChangeView):
    """Changing the password revokes every API token (User.save); this session stays."""

    template_name = "accounts/password_change.html"
    success_url = reverse_lazy("accounts:center")
    form_class = BoundedPasswordChangeForm

    def form_valid(self, form: Any) -> HttpResponse:
        messages.success(self.request, _("密码已修改，此前签发的 API 令牌已全部失效。"))
        return super().form_valid(form)


@sensitive_post_parameters("sms_code", "new_password1", "new_password2")
@never_cache
@require_http_methods(["GET", "POST"])
def password_reset_phone(request: HttpRequest) -> HttpResponse:
    """找回密码 by phone: number, SMS code (purpose reset), new password. Refused by the same
    per-address limits as the e-mail reset; wrong code and unknown number answer alike
    (services.password_reset_by_sms)."""
    if request.method == "POST" and "send_code" in request.POST:
        form = PhoneResetForm(initial=_initial(request, ("phone",)))
        code_context, status = _send_code(request, sms_codes.Purpose.RESET, request.POST.get("phone", ""))
        return render(request, "accounts/password_reset_phone.html", {"form": form, **code_context}, status=status)
    form = PhoneResetForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        wait = protection.request_wait(request, "password_reset")
        if wait is not None:
            return too_many_requests(request, wait)
        data = form.cleaned_data
        try:
            services.password_reset_by_sms(
                phone=data["phone"], sms_code=data["sms_code"], password=data["new_password1"]
            )
        except DomainError as exc:
            _attach(form, exc, {"password": "new_password1"})
        else:
            messages.success(request, _("密码已重设，请使用新密码登录。此前签发的 API 令牌已全部失效。"))
            return redirect("accounts:login")
    return render(request, "accounts/password_reset_phone.html", {"form": form})


def lockout_response(
    request: HttpRequest, original_response: Any = None, credentials: Any = None, *args: Any, **kwargs: Any
) -> HttpResponse:
    """What a refused login answers (AXES_LOCKOUT_CALLABLE): the pair lockout or a rate limit
    (accounts/protection.py), with the wait in minutes; 429 with Retry-After."""
    code, wait, message = protection.refusal(request, axes_username(request, credentials))
    if request.path.startswith("/api/"):
        response: HttpResponse = JsonResponse({"code": code, "message": message, "retry_after": wait}, status=429)
    else:
        title = _("账户已临时锁定") if code == "locked" else _("请求过于频繁")
        response = render(request, "accounts/locked.html", {"title": title, "message": message}, status=429)
    response["Retry-After"] = str(wait)
    return response


def too_many_requests(request: HttpRequest, wait: int) -> HttpResponse:
    """The page of a registration or password reset refused by a rate limit."""
    context = {"title": _("请求过于频繁"), "message": protection.too_many_requests_message(wait)}
    response = render(request, "accounts/locked.html", context, status=429)
    response["Retry-After"] = str(wait)
    return response


@sensitive_post_parameters("sms_code", "password1", "password2")
@require_http_methods(["GET", "POST"])
def register(request: HttpRequest) -> HttpResponse:
    """Registration. A phone or e-mail that already has an account gets the same answer as a
    new one (the owner is told instead): no page says whether a number is registered. So no
    automatic login: the new member logs in, then goes on to the real-name verification."""
    if request.user.is_authenticated:
        return redirect("accounts:center")
    if request.method == "POST" and "send_code" in request.POST:
        form = RegisterForm(initial=_initial(request, ("member_type", "name", "phone", "email"), ("roles",)))
        code_context, status = _send_code(request, sms_codes.Purpose.REGISTER, request.POST.get("phone", ""))
        return render(request, "accounts/register.html", {"form": form, **code_context}, status=status)
    form = RegisterForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        wait = protection.request_wait(request, "register")
        if wait is not None:
            return too_many_requests(request, wait)
        data = form.cleaned_data
        try:
            services.member_register(
                phone=data["phone"],
                email=data["email"],
                password=data["password1"],
                name=data["name"],
                member_type=data["member_type"],
                role_keys=data["roles"],
                sms_code=data["sms_code"],
            )
        except DomainError as exc:
            _attach(form, exc)
        else:
            messages.success(
                request,
                _(
                    "注册申请已提交。请使用手机号码（或电子邮箱）和密码登录，登录后完成实名认证即可参与交易。"
                    "如果该手机号码或电子邮箱此前已注册，我们已通知其账户持有人。"
                ),
            )
            return redirect(f"{reverse('accounts:login')}?next={reverse('accounts:verification')}")
    return render(request, "accounts/register.html", {"form": form})


@login_required
@require_http_methods(["GET"])
def landing(request: HttpRequest) -> HttpResponse:
    """Where a login without ?next= lands: staff in the back office, members in the member center."""
    return redirect("admin:index" if request.user.is_staff else "accounts:center")


@login_required
@require_http_methods(["GET"])
def center(request: HttpRequest) -> HttpResponse:
    user = request.user
    context = {
        "latest_verification": selectors.latest_verification(user=user),  # type: ignore[arg-type]
        "role_names": [_(name) for name in user.groups.values_list("name", flat=True)],
    }
    return render(request, "accounts/center.html", context)


@login_required
@require_http_methods(["GET"])
def tokens(request: HttpRequest) -> HttpResponse:
    """The member's API tokens (apps, mini-programs): client, created, last used, expiry."""
    items = selectors.api_tokens(user=request.user)  # type: ignore[arg-type]
    return render(request, "accounts/tokens.html", {"tokens": items, "now": clock.now()})


@login_required
@require_http_methods(["POST"])
def token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        services.api_token_revoke(actor=request.user, token_id=pk)  # type: ignore[arg-type]
    except NotFound as exc:
        raise Http404 from exc
    messages.success(request, _("令牌已撤销，使用它的应用需要重新登录。"))
    return redirect("accounts:tokens")


@login_required
@require_http_methods(["GET", "POST"])
def verification(request: HttpRequest) -> HttpResponse:
    user = request.user
    latest = selectors.latest_verification(user=user)  # type: ignore[arg-type]
    form = VerificationForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.verification_submit(
                user=user,  # type: ignore[arg-type]
                name=data["name"],
                id_number=data["id_number"],
                legal_representative=data["legal_representative"],
                document_front=data["document_front"],
                document_back=data.get("document_back"),
            )
        except DomainError as exc:
            _attach(form, exc)
        else:
            messages.success(request, _("认证资料已提交，我们将在1个工作日内完成审核。"))
            return redirect("accounts:center")
    can_submit = not user.is_staff and not user.is_verified and not (latest and latest.status == "pending")  # type: ignore[union-attr]
    return render(request, "accounts/verification.html", {"form": form, "latest": latest, "can_submit": can_submit})


@login_required
@require_http_methods(["GET"])
def verification_document(request: HttpRequest, pk: int, side: str) -> FileResponse:
    """An identity document image: personal data, so only its owner and reviewing staff see it."""
    v = get_object_or_404(Verification, pk=pk)
    if v.user_id != request.user.pk and not request.user.has_perm("accounts.view_verification"):
        raise Http404
    image = {"front": v.document_front, "back": v.document_back}.get(side)
    if not image:
        raise Http404
    # type sniffed from the stored bytes, nosniff, a sandboxing CSP (exchange.core.uploads)
    return uploads.serve(image, filename=f"{side}", cache_control="private, no-store")


def _attach(form: Any, exc: DomainError, names: dict[str, str] | None = None) -> None:
    """Show a service's refusal next to the field it names (`names` maps the service's field
    names to the form's)."""
    field = str(exc.data.get("field") or "")
    field = (names or {}).get(field, field)
    form.add_error(field if field in form.fields else None, exc.message)
