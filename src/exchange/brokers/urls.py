from django.urls import URLPattern, path

from exchange.brokers import views

app_name = "brokers"

urlpatterns: list[URLPattern] = [
    path("brokers/apply/", views.apply, name="apply"),
    path("brokers/applications/<int:pk>/<str:kind>/", views.document, name="document"),
    path("brokers/mandates/", views.mandates_given, name="mandates_given"),
    path("brokers/mandates/received/", views.mandates_received, name="mandates_received"),
    path("brokers/mandates/<int:pk>/<str:decision>/", views.mandate_decide, name="mandate_decide"),
]
