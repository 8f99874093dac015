from django.http import HttpRequest, HttpResponse
from django.urls import path

app_name = "dummy_app"


def index(request: HttpRequest) -> HttpResponse:
    return HttpResponse("演示应用首页")


urlpatterns = [path("dummy-app/", index, name="index")]
