"""The site's URLconf: every app's pages (declared on its AppConfig, core/registry.py), then
the project's own: the back office, the API, language switching and the probes."""

from __future__ import annotations

from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path

from exchange.api import ExchangeAPI, api, openapi_json
from exchange.core import registry
from exchange.portal import views as portal_views


def build_urlpatterns(json_api: ExchangeAPI = api) -> list[URLPattern | URLResolver]:
    """The URL patterns of the installed apps (INSTALLED_APPS order) and of the project,
    with the API `json_api` under api/v1/."""
    apps = [path(prefix, include(module)) for prefix, module in registry.url_modules()]
    return [
        *apps,
        path("admin/", admin.site.urls),
        path("api/openapi.json", openapi_json, name="openapi"),
        path("api/v1/", json_api.urls),
        path("i18n/", include("django.conf.urls.i18n")),
        path("healthz", portal_views.healthz, name="healthz"),
        path("robots.txt", portal_views.robots_txt, name="robots"),
        path("favicon.ico", portal_views.favicon, name="favicon"),
    ]


urlpatterns = build_urlpatterns()
