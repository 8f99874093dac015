from django.urls import path

from exchange.listings import views

app_name = "listings"

# The hall itself is served at /projects/ under the portal's name (portal:project_hall).
urlpatterns = [
    path("projects/<int:pk>/", views.project_detail, name="project_detail"),
    path("projects/<int:pk>/follow/", views.project_follow, name="project_follow"),
    path("projects/<int:pk>/questions/", views.question_ask, name="question_ask"),
    path("questions/<int:pk>/answer/", views.question_answer, name="question_answer"),
    path("questions/<int:pk>/moderate/", views.question_moderate, name="question_moderate"),
    path("attachments/<int:pk>/", views.attachment_download, name="attachment"),
    path("notices/", views.notice_list, name="notice_list"),
    path("notices/<str:number>/", views.notice_detail, name="notice_detail"),
    path("my/projects/", views.my_projects, name="my_projects"),
    path("my/projects/new/", views.project_new, name="project_new"),
    path("my/projects/<int:pk>/", views.my_project, name="my_project"),
    path("my/projects/<int:pk>/edit/", views.project_edit, name="project_edit"),
    path("staff/listings/reviews/", views.review_queue, name="review_queue"),
    path("staff/listings/calendar/", views.disclosure_calendar, name="disclosure_calendar"),
    path("staff/listings/<int:pk>/", views.staff_project, name="staff_project"),
]
