from django.urls import path

from exchange.portal import views

app_name = "portal"

urlpatterns = [
    path("", views.home, name="home"),
    path("projects/", views.project_hall, name="project_hall"),
    path("bidding/", views.bidding_hall, name="bidding_hall"),
    path("deals/", views.deal_notices, name="deal_notices"),
    path("news/", views.article_list, {"kind": "news"}, name="news"),
    path("policies/", views.article_list, {"kind": "policy"}, name="policies"),
    path("articles/<int:pk>/", views.article_detail, name="article"),
    path("help/", views.help_center, name="help"),
    path("pages/<slug:slug>/", views.page, name="page"),
]
