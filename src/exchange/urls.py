from django.contrib import admin
from django.urls import include, path

from exchange.api import api, openapi_json
from exchange.portal import views as portal_views

urlpatterns = [
    path("", include("exchange.portal.urls")),
    path("", include("exchange.listings.urls")),
    path("", include("exchange.bidding.urls")),
    path("", include("exchange.settlement.urls")),
    path("", include("exchange.members.urls")),
    path("", include("exchange.trading.urls")),
    path("", include("exchange.deals.urls")),
    path("", include("exchange.brokers.urls")),
    path("accounts/", include("exchange.accounts.urls")),
    path("admin/", admin.site.urls),
    path("api/openapi.json", openapi_json, name="openapi"),
    path("api/v1/", api.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("healthz", portal_views.healthz, name="healthz"),
    path("robots.txt", portal_views.robots_txt, name="robots"),
    path("favicon.ico", portal_views.favicon, name="favicon"),
]
