"""An SMS code is used once even when two requests bring it at the same instant (row lock)."""

from __future__ import annotations

import pytest

from exchange.accounts import sms_codes
from exchange.core.errors import InvalidInput
from tests.races import postgres_only, race

pytestmark = postgres_only


@pytest.mark.parametrize("purpose", ["register", "login", "reset"])
def test_two_requests_with_the_right_code_at_once_pass_once(purpose):
    code = sms_codes.code_text(sms_codes.code_create(phone="13911112222", purpose=purpose))

    def use() -> None:
        if not sms_codes.consume(phone="13911112222", purpose=purpose, code=code):
            raise InvalidInput("refused")

    assert race(use, use) == ["invalid", "ok"]
