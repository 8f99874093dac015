"""Pages of the bidding hall (the hall itself is `portal:bidding_hall` → `views.hall`).

The live event streams are not Django URLs: `exchange.asgi` serves
`/api/v1/auctions/<id>/events` and `/api/v1/auctions/events` natively (`bidding.sse`).
"""

from django.urls import URLPattern, path

from exchange.bidding import views

app_name = "bidding"

urlpatterns: list[URLPattern] = [
    path("bidding/<int:pk>/", views.auction, name="auction"),
    path("bidding/monitor/", views.monitor, name="monitor"),
    path("bidding/<int:pk>/pause/", views.auction_pause, name="auction_pause"),
    path("bidding/<int:pk>/resume/", views.auction_resume, name="auction_resume"),
]
