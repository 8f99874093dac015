"""Demo data of a believable provincial exchange (default 山西省), loaded idempotently.

Every account has the same documented password (DEMO_PASSWORD). Re-running keeps all
existing data: accounts are looked up by phone, articles by title.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import Group
from django.core.files.base import ContentFile
from django.db import transaction
from PIL import Image, ImageDraw
from stdnum.cn import ric, uscc

from exchange.accounts import roles
from exchange.accounts.models import MemberType, User, Verification
from exchange.core import clock, registry
from exchange.portal.models import Article

DEMO_PASSWORD = "Demo@2026"


@dataclass(frozen=True)
class DemoAccount:
    phone: str
    email: str
    name: str
    role: str  # a roles.ROLES key, or "admin"
    member_type: str = MemberType.PERSON
    state: str = ""  # members: "verified", "pending", "rejected" or "" (unverified)
    id17: str = ""  # first 17 characters of the ID number / USCC (check digit computed)


def _id_number(member_type: str, id17: str) -> str:
    if member_type == MemberType.PERSON:
        return id17 + ric.calc_check_digit(id17 + "0")
    return id17 + uscc.calc_check_digit(id17)


STAFF = [
    DemoAccount("13800000000", "admin@demo.sxcq.cn", "系统管理员", "admin"),
    DemoAccount("13800000001", "reviewer@demo.sxcq.cn", "王审核", "reviewer"),
    DemoAccount("13800000002", "finance@demo.sxcq.cn", "李结算", "finance"),
    DemoAccount("13800000003", "manager@demo.sxcq.cn", "张经理", "manager"),
    DemoAccount("13800000004", "ops@demo.sxcq.cn", "赵运营", "operations"),
    DemoAccount("13800000005", "promo@demo.sxcq.cn", "钱推广", "promotion"),
    DemoAccount("13800000006", "tech@demo.sxcq.cn", "孙技术", "tech"),
    DemoAccount("13800000007", "service@demo.sxcq.cn", "周客服", "service"),
    DemoAccount("13800000008", "writer@demo.sxcq.cn", "吴文案", "copywriter"),
    DemoAccount("13800000009", "supervisor@demo.sxcq.cn", "郑监管", "supervisor"),
    DemoAccount("13800000010", "cashier@demo.sxcq.cn", "陈出纳", "finance"),  # four-eyes needs a second 结算
]

MEMBERS = [
    DemoAccount(
        "13900000001",
        "seller1@demo.sxcq.cn",
        "山西晋能资产管理有限公司",
        "seller",
        MemberType.ENTITY,
        "verified",
        "91140100MA0K3R5X1",
    ),
    DemoAccount(
        "13900000002",
        "seller2@demo.sxcq.cn",
        "太原市国有资本运营有限公司",
        "seller",
        MemberType.ENTITY,
        "verified",
        "91140100MA0H2B7Q3",
    ),
    DemoAccount(
        "13900000003",
        "seller3@demo.sxcq.cn",
        "吕梁市林业发展有限公司",
        "seller",
        MemberType.ENTITY,
        "verified",
        "91141100MA0L8C2D5",
    ),
    DemoAccount(
        "13900000011", "buyer1@demo.sxcq.cn", "陈明", "bidder", MemberType.PERSON, "verified", "14010519980612201"
    ),
    DemoAccount(
        "13900000012", "buyer2@demo.sxcq.cn", "刘芳", "bidder", MemberType.PERSON, "verified", "14020219900225302"
    ),
    DemoAccount(
        "13900000013",
        "buyer3@demo.sxcq.cn",
        "晋中恒泰实业有限公司",
        "bidder",
        MemberType.ENTITY,
        "verified",
        "91140700MA0J9F4K2",
    ),
    DemoAccount("13900000014", "buyer4@demo.sxcq.cn", "杨帆", "bidder", MemberType.PERSON, "", ""),
    DemoAccount(
        "13900000015", "buyer5@demo.sxcq.cn", "黄磊", "bidder", MemberType.PERSON, "pending", "14030319880808451"
    ),
    DemoAccount(
        "13900000016", "buyer6@demo.sxcq.cn", "周婷", "bidder", MemberType.PERSON, "rejected", "14050219920101262"
    ),
    DemoAccount(  # on the 失信名单 (members demo): applications are refused
        "13900000019",
        "buyer9@demo.sxcq.cn",
        "某失信商贸有限公司",
        "bidder",
        MemberType.ENTITY,
        "verified",
        "91140105MA0L3Q2R5",
    ),
    DemoAccount(
        "13900000021",
        "partner1@demo.sxcq.cn",
        "山西华晟产权经纪有限公司",
        "partner",
        MemberType.ENTITY,
        "verified",
        "91140100MA0M5N6P7",
    ),
]


def demo_accounts() -> list[DemoAccount]:
    return STAFF + MEMBERS


def _placeholder_image(text: str) -> ContentFile[bytes]:
    image = Image.new("RGB", (640, 400), (236, 240, 245))
    draw = ImageDraw.Draw(image)
    draw.rectangle((12, 12, 627, 387), outline=(180, 30, 40), width=4)
    draw.text((40, 180), text, fill=(60, 60, 60))
    buf = io.BytesIO()
    image.save(buf, format="PNG")
    return ContentFile(buf.getvalue(), name=f"{text}.png")


def _ensure_account(account: DemoAccount, groups: dict[str, Group]) -> tuple[User, bool]:
    user = User.objects.filter(phone=account.phone).first()
    if user is not None:
        return user, False
    if account.role == "admin":
        user = User.objects.create_superuser(account.phone, account.email, DEMO_PASSWORD, name=account.name)
        return user, True
    role = roles.ROLE_BY_KEY[account.role]
    user = User.objects.create_user(
        account.phone,
        account.email,
        DEMO_PASSWORD,
        name=account.name,
        member_type=account.member_type,
        is_staff=role.staff,
    )
    user.groups.add(groups[role.name])
    if account.state:
        _seed_verification(user, account)
    return user, True


def _seed_verification(user: User, account: DemoAccount) -> None:
    now = clock.now()
    reviewer = User.objects.filter(phone="13800000001").first()
    id_number = _id_number(account.member_type, account.id17)
    v = Verification(
        user=user,
        member_type=account.member_type,
        name=account.name,
        id_number=id_number,
        legal_representative="张建国" if account.member_type == MemberType.ENTITY else "",
        submitted_at=now - timedelta(days=3),
    )
    v.document_front.save("front.png", _placeholder_image("ID FRONT (DEMO)"), save=False)
    if account.member_type == MemberType.PERSON:
        v.document_back.save("back.png", _placeholder_image("ID BACK (DEMO)"), save=False)
    if account.state == "verified":
        v.status, v.reviewed_by, v.reviewed_at = Verification.Status.APPROVED, reviewer, now - timedelta(days=2)
        user.real_name, user.id_number, user.verified_at = account.name, id_number, v.reviewed_at
        user.save(update_fields=["real_name", "id_number", "verified_at"])
    elif account.state == "rejected":
        v.status, v.reviewed_by, v.reviewed_at = Verification.Status.REJECTED, reviewer, now - timedelta(days=1)
        v.reject_reason = "身份证照片模糊，无法辨认，请重新拍摄上传。"
    v.save()


NEWS = [
    ("省国资委：进一步规范企业国有资产进场交易", "policy"),
    ("企业国有资产交易监督管理办法（国资委 财政部令第32号）", "policy"),
    ("关于做好农村产权流转交易市场建设的指导意见", "policy"),
    ("林权流转交易操作规则（试行）", "policy"),
    ("产权交易中心网上竞价系统正式上线运行", "news"),
    ("我中心举办2026年国有企业产权交易业务培训会", "news"),
    ("太原市某国有企业房产招租项目溢价率达37%", "news"),
    ("吕梁市集体林权流转交易首单网上成交", "news"),
    ("我中心与省农业农村厅签署农村产权交易合作协议", "news"),
    ("2026年前三季度全省产权交易成交额同比增长18.6%", "news"),
    ("关于开展诚信会员评选活动的通知", "news"),
    ("关于调整国庆节假日期间业务受理时间的公告", "news"),
]
HELP = [
    (
        "如何注册会员并完成实名认证",
        "在首页点击“注册”，填写手机号码、电子邮箱并设置密码。注册后进入会员中心，按提示上传身份证（个人）或营业执照（单位）完成实名认证，审核一般在1个工作日内完成。",
    ),
    (
        "我要挂牌：转让方挂牌流程",
        "转让方提交挂牌申请及材料，经交易中心规范性审核后发布挂牌公告。信息披露期满后，根据意向受让方数量组织协议转让或网络竞价。",
    ),
    (
        "我要受让：报名、资格审核与保证金",
        "实名认证的会员可在项目披露期间报名。资格审核通过后，请在规定时间内将保证金汇入系统生成的虚拟子账号，到账后获得竞买号。",
    ),
    (
        "网络竞价规则说明",
        "竞价分为自由报价期和限时报价期。限时报价期内每有一次有效报价，倒计时重新开始计算；倒计时结束无人报价时，最高报价者成为竞得人。",
    ),
    ("交易服务费收费标准", "交易服务费按成交金额分段累进计算，设有最低收费。具体标准以项目公告及收费标准文件为准。"),
    ("常见问题：忘记密码怎么办", "在登录页点击“忘记密码”，输入注册时的电子邮箱，按邮件中的链接重新设置密码。"),
]


PAGES = [
    (
        "terms",
        "会员服务协议",
        "一、协议的订立\n会员在注册时勾选同意本协议，即与交易中心就使用本平台服务订立协议。\n\n"
        "二、会员的义务\n1. 提供真实、准确、完整的注册及实名认证资料，并在信息变更时及时更新；\n"
        "2. 妥善保管账户与密码，对以本账户进行的一切操作负责；\n"
        "3. 遵守国家法律法规和交易中心的交易规则，不得恶意串通、虚假报价或扰乱交易秩序。\n\n"
        "三、交易中心的服务\n交易中心依法提供项目信息披露、受让登记、网络竞价、结算和交易鉴证等服务，"
        "具体以各项目公告和交易规则为准。\n\n"
        "四、保证金与费用\n保证金、价款和服务费的收取、冻结、退还及处置，按项目公告和结算规则执行。\n\n"
        "五、其他\n本协议未尽事宜，按国家有关法律法规和交易中心规则执行。（演示文本）",
    ),
    (
        "privacy",
        "隐私政策",
        "我们依照《中华人民共和国个人信息保护法》处理您的个人信息。\n\n"
        "一、我们收集的信息\n注册信息（手机号码、电子邮箱、名称）；实名认证信息（姓名或单位名称、身份证号码或统一社会信用代码、证件图片）；"
        "交易过程中产生的报名、保证金、报价和成交信息。\n\n"
        "二、使用目的\n核验会员身份、履行交易规则要求的资格审核与信息披露义务、办理结算、保障交易安全。\n\n"
        "三、保护措施\n证件图片仅本人和负责审核的工作人员可以查看，不在网站公开；竞价过程中仅显示竞买号，不显示身份；"
        "所有对个人信息的操作均记录审计日志。\n\n"
        "四、您的权利\n您可以在会员中心查看您的信息，也可联系客服更正或提出删除请求（法律法规要求保存的交易记录除外）。（演示文本）",
    ),
]


def _ensure_pages() -> int:
    created = 0
    for i, (slug, title, body) in enumerate(PAGES):
        _obj, was_created = Article.objects.get_or_create(
            slug=slug,
            defaults={
                "kind": Article.Kind.HELP,
                "title": title,
                "summary": title,
                "body": body,
                "is_published": True,
                "sort_order": 90 + i,
            },
        )
        created += was_created
    return created


def _ensure_articles() -> int:
    created = 0
    now = clock.now()
    for i, (title, kind) in enumerate(NEWS):
        _obj, was_created = Article.objects.get_or_create(
            title=title,
            defaults={
                "kind": kind,
                "summary": title,
                "body": f"{title}。\n\n本文为演示数据，由{settings.EXCHANGE_NAME}门户网站自动生成。",
                "source": settings.EXCHANGE_NAME,
                "is_published": True,
                "published_at": now - timedelta(days=i * 3 + 1),
            },
        )
        created += was_created
    for i, (title, body) in enumerate(HELP):
        _obj, was_created = Article.objects.get_or_create(
            title=title,
            defaults={
                "kind": Article.Kind.HELP,
                "summary": body[:60],
                "body": body,
                "is_published": True,
                "sort_order": i + 1,
            },
        )
        created += was_created
    return created


def seed_demo() -> dict[str, int]:
    """Load the demo data; returns what was created (0s on a re-run)."""
    with transaction.atomic():
        roles.ensure_roles()  # the demo needs every role group, whatever happened to the database
        groups = {g.name: g for g in Group.objects.all()}
        created_accounts = 0
        for account in STAFF + MEMBERS:
            _user, created = _ensure_account(account, groups)
            created_accounts += created
        created_articles = _ensure_articles() + _ensure_pages()
    summary: dict[str, int] = {"accounts": created_accounts, "articles": created_articles}
    for app, seed in registry.demo_seeders():  # the apps' own demo data, each after what it builds on
        for key, count in seed().items():
            summary[f"{app}.{key}"] = count
    return summary
