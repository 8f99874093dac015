"""`{% panels "<slot>" %}`: the panels other apps add to this place of the page.

Each app declares its panels on its AppConfig (`core.registry.Panel`); a page names its slots,
and never includes another app's templates itself.
"""

from __future__ import annotations

from django import template
from django.utils.html import format_html_join
from django.utils.safestring import SafeString

from exchange.core import registry

register = template.Library()


@register.simple_tag(takes_context=True)
def panels(context: template.Context, slot: str) -> SafeString:
    return format_html_join("\n", "{}", ((_render(panel, context),) for panel in registry.panels(slot)))


def _render(panel: registry.Panel, context: template.Context) -> SafeString:
    assert context.template is not None  # a tag renders inside a template
    tmpl = context.template.engine.get_template(panel.template)
    values = registry.panel_context(panel, context)
    if values is None:  # the page's own context, as {% include %} would
        with context.push():
            return tmpl.render(context)
    own = context.new(values)  # only what the panel's function gives, as an inclusion tag
    csrf_token = context.get("csrf_token")
    if csrf_token is not None:
        own["csrf_token"] = csrf_token
    return tmpl.render(own)
