from __future__ import annotations

from django.db.models import QuerySet

from exchange.accounts.models import ApiToken, User, Verification


def latest_verification(*, user: User) -> Verification | None:
    return Verification.objects.filter(user=user).order_by("-submitted_at", "-pk").first()


def api_tokens(*, user: User) -> QuerySet[ApiToken]:
    """The user's API tokens, newest first (revoked ones are deleted; expired ones still show)."""
    return ApiToken.objects.filter(user=user).order_by("-created_at", "-pk")
