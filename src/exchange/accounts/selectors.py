from __future__ import annotations

from exchange.accounts.models import User, Verification


def latest_verification(*, user: User) -> Verification | None:
    return Verification.objects.filter(user=user).order_by("-submitted_at", "-pk").first()
