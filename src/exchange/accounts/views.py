"""Member pages: login, registration, password, member center, real-name verification."""

from __future__ import annotations

import hashlib
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from exchange.accounts import selectors, services
from exchange.accounts.forms import LoginForm, RegisterForm, VerificationForm
from exchange.accounts.models import Verification
from exchange.core import uploads
from exchange.core.errors import DomainError


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True


class PasswordResetView(auth_views.PasswordResetView):
    template_name = "accounts/password_reset.html"
    email_template_name = "accounts/email/password_reset.txt"
    subject_template_name = "accounts/email/password_reset_subject.txt"
    success_url = reverse_lazy("accounts:password_reset_done")
    extra_email_context = {"EXCHANGE_NAME": settings.EXCHANGE_NAME}

    def form_valid(self, form: Any) -> HttpResponse:
        """At most PASSWORD_RESET_PER_HOUR mails per address per hour, so the form cannot be
        used to flood someone's mailbox; the page looks the same either way (no enumeration)."""
        key = "pwreset:" + hashlib.sha256(form.cleaned_data["email"].strip().lower().encode()).hexdigest()
        cache.add(key, 0, timeout=3600)
        if cache.incr(key) > settings.PASSWORD_RESET_PER_HOUR:
            return HttpResponseRedirect(self.get_success_url())
        return super().form_valid(form)


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "accounts/password_reset_confirm.html"
    success_url = reverse_lazy("accounts:password_reset_complete")


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "accounts/password_change.html"
    success_url = reverse_lazy("accounts:center")

    def form_valid(self, form: Any) -> HttpResponse:
        messages.success(self.request, _("密码已修改。"))
        return super().form_valid(form)


def lockout_response(request: HttpRequest, credentials: Any = None, *args: Any, **kwargs: Any) -> HttpResponse:
    """Shown instead of the login form (or the API answer) while an account is locked."""
    if request.path.startswith("/api/"):
        message = _("登录失败次数过多，账户已临时锁定，请稍后再试。")
        return JsonResponse({"code": "locked", "message": message}, status=429)
    return render(request, "accounts/locked.html", status=429)


@require_http_methods(["GET", "POST"])
def register(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("accounts:center")
    form = RegisterForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user = services.member_register(
                phone=data["phone"],
                email=data["email"],
                password=data["password1"],
                name=data["name"],
                member_type=data["member_type"],
                role_keys=data["roles"],
            )
        except DomainError as exc:
            _attach(form, exc)
        else:
            login(request, user, backend="exchange.accounts.backends.PhoneOrEmailBackend")
            messages.success(request, _("注册成功！请完成实名认证后参与交易。"))
            return redirect("accounts:verification")
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


def _attach(form: Any, exc: DomainError) -> None:
    field = exc.data.get("field")
    form.add_error(field if field in form.fields else None, exc.message)
