"""factory_boy factories for the models the tests need."""

from __future__ import annotations

import io
from typing import Any

import factory
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image
from stdnum.cn import ric, uscc

from exchange.accounts import roles
from exchange.accounts.models import MemberType, User

PASSWORD = "Test-pass-2026"


def valid_resident_id(seq: int) -> str:
    n17 = f"1401051998{(seq % 12) + 1:02d}{(seq % 28) + 1:02d}{seq % 1000:03d}"
    return n17 + ric.calc_check_digit(n17 + "0")


def valid_uscc(seq: int) -> str:
    n17 = f"91140100MA0{seq % 1000000:06d}"
    return n17 + uscc.calc_check_digit(n17)


def image_upload(name: str = "id.png", fmt: str = "PNG", size: tuple[int, int] = (64, 40)) -> SimpleUploadedFile:
    buf = io.BytesIO()
    Image.new("RGB", size, (200, 200, 200)).save(buf, format=fmt)
    return SimpleUploadedFile(name, buf.getvalue(), content_type=f"image/{fmt.lower()}")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    phone = factory.Sequence(lambda n: f"139{n:08d}")
    email = factory.Sequence(lambda n: f"user{n}@example.com")
    name = factory.Sequence(lambda n: f"会员{n}")
    member_type = MemberType.PERSON
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def role(self, create: bool, extracted: Any, **kwargs: Any) -> None:
        if extracted:
            role = roles.ROLE_BY_KEY[extracted]
            self.groups.add(Group.objects.get(name=role.name))
            if role.staff and not self.is_staff:
                self.is_staff = True
        if create:
            self.save()


class EntityFactory(UserFactory):
    member_type = MemberType.ENTITY
    name = factory.Sequence(lambda n: f"测试实业有限公司{n}")


REGISTRATION = {
    "phone": "13912345678",
    "email": "chen@example.com",
    "password": "Sx-exchange-88",
    "name": "陈明",
    "member_type": "person",
    "role_keys": ["bidder"],
}


def sms_code(phone: str, purpose: str = "register") -> str:
    """A valid SMS code for (phone, purpose), written through the service without an SMS."""
    from exchange.accounts import sms_codes

    return sms_codes.code_text(sms_codes.code_create(phone=phone, purpose=purpose))


def registration(**overrides: Any) -> dict[str, Any]:
    """member_register's arguments (REGISTRATION with `overrides`) and a valid code for the phone."""
    from exchange.core.errors import InvalidInput

    data = {**REGISTRATION, **overrides}
    if "sms_code" not in data:
        try:
            data["sms_code"] = sms_code(data["phone"])
        except InvalidInput:  # a malformed number gets no code: the service refuses the number
            data["sms_code"] = "000000"
    return data


def submit_verification(user: User | None = None, *, seq: int = 7, **overrides: Any) -> Any:
    """A pending real-name verification of a person, filed through the service (valid by default)."""
    from exchange.accounts import services

    kwargs: dict[str, Any] = {
        "user": user if user is not None else UserFactory(),
        "name": "陈明",
        "id_number": valid_resident_id(seq),
        "document_front": image_upload("front.png"),
        "document_back": image_upload("back.jpg", fmt="JPEG"),
    }
    kwargs.update(overrides)
    return services.verification_submit(**kwargs)
