from django.urls import URLPattern

app_name = "bidding"

urlpatterns: list[URLPattern] = []
