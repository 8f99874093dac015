from django.urls import URLPattern

app_name = "settlement"

urlpatterns: list[URLPattern] = []
