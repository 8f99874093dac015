"""Demo data of the brokers app, loaded by `seed_demo` before the listings (idempotent).

山西华晟产权经纪有限公司 (13900000021) is an approved broker (its request reviewed by 王审核);
it holds an accepted mandate from 山西晋能资产管理有限公司 (13900000001, scope 房产, two
projects, may sign) — the listings demo files one draft under it —, a mandate awaiting the
confirmation of seller 2 (13900000002), and one revoked by 吕梁市林业发展有限公司
(13900000003). Everything goes through the services, with the clock moved back.
"""

from __future__ import annotations

import datetime as dt

from django.core.files.uploadedfile import SimpleUploadedFile

from exchange.accounts.models import User
from exchange.brokers import services
from exchange.brokers.models import BrokerApplication, Mandate
from exchange.core import clock

BROKER, REVIEWER = "13900000021", "13800000001"
ACCEPTED_SUBJECT = "代理挂牌：太原市小店区办公用房转让"
PENDING_SUBJECT = "代理挂牌：公务车辆转让"
REVOKED_SUBJECT = "代理挂牌：林地经营权流转"

_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)


def _pdf(name: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, _PDF, content_type="application/pdf")


def _user(phone: str) -> User | None:
    return User.objects.filter(phone=phone).first()


def _approved_broker(broker: User, reviewer: User) -> int:
    if BrokerApplication.objects.filter(user=broker, status=BrokerApplication.Status.APPROVED).exists():
        return 0
    with clock.frozen(clock.now() - dt.timedelta(days=20)):
        application = services.broker_apply(
            user=broker,
            firm_name=broker.real_name,
            uscc=broker.id_number,
            licence=_pdf("licence.pdf"),
            business_document=_pdf("business.pdf"),
            scope_note="国有产权、房产、林权交易的经纪代理服务。",
        )
        services.broker_approve(application_id=application.pk, actor=reviewer)
    return 1


def _mandate(broker: User, seller: User | None, subject: str, **scope: object) -> Mandate | None:
    if seller is None:
        return None
    existing = Mandate.objects.filter(broker=broker, seller=seller, subject=subject).first()
    if existing is not None:
        return existing
    today = clock.today()
    return services.mandate_request(
        broker=broker,
        seller=seller.phone,
        subject=subject,
        starts_on=today,
        ends_on=today + dt.timedelta(days=180),
        **scope,  # type: ignore[arg-type]
    )


def seed() -> dict[str, int]:
    broker, reviewer = _user(BROKER), _user(REVIEWER)
    if broker is None or reviewer is None:
        return {"brokers": 0, "mandates": 0}
    created = {"brokers": _approved_broker(broker, reviewer), "mandates": 0}
    before = Mandate.objects.filter(broker=broker).count()
    sellers = [_user(p) for p in ("13900000001", "13900000002", "13900000003")]
    with clock.frozen(clock.now() - dt.timedelta(days=10)):
        accepted = _mandate(broker, sellers[0], ACCEPTED_SUBJECT, category="real_estate", max_projects=2, may_sign=True)
        if accepted is not None and accepted.status == Mandate.Status.PENDING:
            services.mandate_accept(mandate_id=accepted.pk, seller=accepted.seller)
        revoked = _mandate(broker, sellers[2], REVOKED_SUBJECT, category="forest")
        if revoked is not None and revoked.status == Mandate.Status.PENDING:
            services.mandate_accept(mandate_id=revoked.pk, seller=revoked.seller)
    with clock.frozen(clock.now() - dt.timedelta(days=3)):
        if revoked is not None and revoked.status == Mandate.Status.ACCEPTED:
            services.mandate_revoke(mandate_id=revoked.pk, seller=revoked.seller, reason="已与该机构终止合作。")
    _mandate(broker, sellers[1], PENDING_SUBJECT, category="vehicle", may_sign=False)
    created["mandates"] = Mandate.objects.filter(broker=broker).count() - before
    return created
