from django.urls import path

from exchange.members import views

app_name = "members"

urlpatterns = [
    path("member/messages/", views.message_list, name="messages"),
    path("member/messages/read-all/", views.messages_read_all, name="read_all"),
    path("member/messages/<int:pk>/", views.message_detail, name="message"),
    path("member/notification-settings/", views.preferences, name="preferences"),
]
