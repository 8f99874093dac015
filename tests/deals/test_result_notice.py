"""What a 成交公告 publishes: the rule per category and state-owned flag (deals.conf), the
snapshot both the notice and the public 成交公告 list are rendered from, and the publicity
period of a state-owned asset (企业国有资产交易监督管理办法, Art. 29)."""

from __future__ import annotations

import re

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st

from exchange.core import workdays
from exchange.deals import conf
from exchange.listings.categories import Category
from tests.deals import factories as f

REQUIRED = {"target", "valuation", "floor_price", "price"}  # Art. 29, written out here on purpose

# --------------------------------------------------------------------------- the rule (no database)


def test_the_default_rule_publishes_the_art29_fields_and_the_buyer_for_every_category():
    for category in Category.values:
        for state_owned in (False, True):
            rule = conf.result_notice_rule(category, state_owned=state_owned)
            assert set(rule.fields) >= REQUIRED and "buyer" in rule.fields
            assert rule.publicity_workdays == 5


def test_a_category_rule_applies_to_its_category_only():
    table = {"vehicle": ["target", "price", "kind"], "vehicle:state_owned": ["buyer"]}
    with override_settings(DEALS_RESULT_NOTICE_FIELDS=table):
        assert conf.result_notice_rule("vehicle", state_owned=False).fields == ("target", "price", "kind")
        # state-owned: the category's own rule, plus what Art. 29 requires
        assert conf.result_notice_rule("vehicle", state_owned=True).fields == (
            "target", "valuation", "floor_price", "price", "buyer",
        )  # fmt: skip
        assert conf.result_notice_rule("equity", state_owned=False).fields == conf.RESULT_FIELDS


def test_a_state_owned_notice_keeps_the_required_fields_and_five_working_days_whatever_the_settings():
    with override_settings(DEALS_RESULT_NOTICE_FIELDS={"state_owned": ["kind"]}, DEALS_RESULT_PUBLICITY_WORKDAYS=2):
        rule = conf.result_notice_rule("equity", state_owned=True)
        assert set(rule.fields) == REQUIRED | {"kind"}
        assert rule.publicity_workdays == 5
        assert conf.result_notice_rule("equity", state_owned=False).publicity_workdays == 2


def test_an_unknown_field_in_the_setting_is_a_configuration_error():
    table = {"default": ["target", "bidder_no"]}
    with override_settings(DEALS_RESULT_NOTICE_FIELDS=table), pytest.raises(ImproperlyConfigured):
        conf.result_notice_rule("forest", state_owned=False)


field_lists = st.lists(st.sampled_from(conf.RESULT_FIELDS), unique=True)
rule_keys = st.sampled_from(
    ["default", "state_owned", *Category.values, *(f"{c}:state_owned" for c in Category.values)]
)


@settings(max_examples=300, deadline=None)
@given(
    category=st.sampled_from(Category.values),
    state_owned=st.booleans(),
    judicial=st.booleans(),
    table=st.dictionaries(rule_keys, field_lists, max_size=6),
    configured_workdays=st.integers(min_value=1, max_value=15),
)
def test_rule_properties(category, state_owned, judicial, table, configured_workdays):
    with override_settings(DEALS_RESULT_NOTICE_FIELDS=table, DEALS_RESULT_PUBLICITY_WORKDAYS=configured_workdays):
        rule = conf.result_notice_rule(category, state_owned=state_owned, judicial_sale=judicial)
    fields = set(rule.fields)
    # printed in the one fixed order, each once
    assert list(rule.fields) == [k for k in conf.RESULT_FIELDS if k in fields]
    own_key = f"{category}:state_owned" if state_owned else category
    fallback = "state_owned" if state_owned else "default"
    chosen = table.get(own_key, table.get(fallback, conf.RESULT_FIELDS))
    extra = (REQUIRED if state_owned else set()) | ({"buyer"} if judicial else set())
    assert fields == set(chosen) | extra
    if state_owned:
        assert fields >= REQUIRED
        assert rule.publicity_workdays == max(5, configured_workdays)
    else:
        assert rule.publicity_workdays == configured_workdays
    if judicial:
        assert "buyer" in fields


# --------------------------------------------------------------------------- notices and the public list


def _row(html: str, title: str) -> str:
    """The <tr> of the 成交公告 list whose project is `title`."""
    for row in re.findall(r"<tr data-notice=.*?</tr>", html, flags=re.S):
        if title in row:
            return row
    raise AssertionError(f"{title} not listed")


@pytest.mark.django_db
def test_the_notice_and_the_list_name_the_buyer_and_never_the_bidder_number(client):
    # given a paid deal won at auction by bidder A001
    deal = f.certified()
    body = deal.result_notice.body
    # then the notice carries the required fields and the buyer's name, no bidder number
    for label in ("标的名称：", "评估结果：", "转让底价：", "交易价格：", "受让方："):
        assert label in body
    assert f"受让方：{deal.buyer.real_name}" in body
    assert "A001" not in body and "竞买号" not in body
    notice_page = client.get(deal.result_notice.get_absolute_url()).content.decode()
    assert f"受让方：{deal.buyer.real_name}" in notice_page and "A001" not in notice_page
    # and the public list has a 受让方 column with the same name
    html = client.get(reverse("portal:deal_notices")).content.decode()
    assert '<th scope="col">受让方</th>' in html
    row = _row(html, deal.project_title)
    assert deal.buyer.real_name in row and "¥1,200,000.00" in row and "A001" not in row


@pytest.mark.django_db
def test_a_category_rule_decides_what_both_the_notice_and_the_list_show(client, settings):
    # given forest notices publish target, price and method only
    settings.DEALS_RESULT_NOTICE_FIELDS = {"forest": ["target", "price", "kind"]}
    deal = f.certified(f.deal(category="forest"))
    body = deal.result_notice.body
    assert "交易价格：" in body and "受让方" not in body and "评估结果" not in body and "转让底价" not in body
    assert deal.publish_buyer_name is False
    row = _row(client.get(reverse("portal:deal_notices")).content.decode(), deal.project_title)
    assert deal.buyer.real_name not in row and "按规定不公示" in row
    # when the rule changes after publication, what was published stays what is shown
    settings.DEALS_RESULT_NOTICE_FIELDS = {"forest": ["target"]}
    row = _row(client.get(reverse("portal:deal_notices")).content.decode(), deal.project_title)
    assert "¥1,200,000.00" in row


@pytest.mark.django_db
def test_a_state_owned_notice_carries_art29_and_is_published_five_working_days(settings):
    # given settings that would publish only the method, for three working days
    settings.DEALS_RESULT_NOTICE_FIELDS = {"state_owned": ["kind"], "default": ["kind"]}
    settings.DEALS_RESULT_PUBLICITY_WORKDAYS = 3
    state_owned = f.certified(f.deal(project=f.project_ready(state_owned=True)))
    private = f.certified(f.deal())
    # then the state-owned asset's notice still has the Art. 29 fields and 5 working days
    body = state_owned.result_notice.body
    for label in ("标的名称：", "评估结果：¥1,000,000.00", "转让底价：¥1,000,000.00", "交易价格：¥1,200,000.00"):
        assert label in body
    assert "第二十九条" in body
    paid_on = timezone.localdate(state_owned.paid_at)
    assert state_owned.result_notice.period_end == workdays.add_workdays(paid_on, 5)
    assert f"（{paid_on.isoformat()} 至 {state_owned.result_notice.period_end.isoformat()}）" in body
    # and the other one follows the settings
    assert "评估结果" not in private.result_notice.body and "第二十九条" not in private.result_notice.body
    assert private.result_notice.period_end == workdays.add_workdays(timezone.localdate(private.paid_at), 3)


@pytest.mark.django_db
def test_a_judicial_sale_names_the_buyer_even_where_the_category_rule_does_not(settings):
    from exchange.listings.models import Project

    settings.DEALS_RESULT_NOTICE_FIELDS = {"default": ["target", "price"]}
    project = f.project_ready()
    Project.objects.filter(pk=project.pk).update(attributes={**project.attributes, "judicial_sale": True})
    deal = f.certified(f.deal(project=project))
    assert deal.publish_buyer_name and f"受让方：{deal.buyer.real_name}" in deal.result_notice.body
