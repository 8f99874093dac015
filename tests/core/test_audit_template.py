"""The audit entry template shows every field, even one called "items"."""

from __future__ import annotations

from types import SimpleNamespace

from auditlog.models import LogEntry
from django.template.loader import render_to_string

from exchange.core import clock


def test_entry_with_an_items_key_renders_every_change():
    # given: an entry whose data and changes hold the key "items" (shadows dict.items in templates)
    entry = SimpleNamespace(
        timestamp=clock.now(),
        actor=None,
        get_action_display="更新",
        additional_data={"action": "batch.prepare", "items": "3"},
        remote_addr="",
        action=LogEntry.Action.UPDATE,
        Action=LogEntry.Action,
        changes_display_dict={"items": ["1", "2"], "status": ["draft", "approved"]},
    )
    # when
    html = render_to_string("auditlog/entry_detail.html", {"entry": entry})
    # then every field and datum shows, in words (issue 15, item 12: no raw codes)
    assert "笔数：3" in html and "批次 · 制单" in html
    assert "<td>笔数</td><td>1</td><td>2</td>" in html
    assert "<td>状态</td>" in html and "draft" not in html and "approved" not in html
