from django.urls import path

from exchange.bidding import views as bidding_views
from exchange.listings import views as listings_views
from exchange.portal import views

app_name = "portal"

urlpatterns = [
    path("", views.home, name="home"),
    path("projects/", listings_views.project_hall, name="project_hall"),  # the hall of exchange.listings
    path("bidding/", bidding_views.hall, name="bidding_hall"),  # the bidding app's hall
    path("deals/", views.deal_notices, name="deal_notices"),
    path("news/", views.article_list, {"kind": "news"}, name="news"),
    path("policies/", views.article_list, {"kind": "policy"}, name="policies"),
    path("articles/<int:pk>/", views.article_detail, name="article"),
    path("help/", views.help_center, name="help"),
    path("pages/<slug:slug>/", views.page, name="page"),
]
