def test_amounts_in_wan_are_shown_in_yuan_outside_chinese():
    from django.utils import translation

    from exchange.listings.categories import display_attributes

    attributes = {"registered_capital": "3000"}
    with translation.override("zh-hans"):
        assert ("注册资本", "3000 万元") in display_attributes("equity", attributes)
    with translation.override("en"):
        shown = dict(display_attributes("equity", attributes))
        assert "¥30,000,000.00" in shown.values()
