from django.urls import URLPattern, path

from exchange.trading import views

app_name = "trading"

urlpatterns: list[URLPattern] = [
    path("trading/projects/<int:pk>/apply/", views.apply, name="apply"),
    path("trading/projects/<int:pk>/drafts/", views.draft_upload, name="draft_upload"),
    path("trading/projects/<int:pk>/commitment.pdf", views.commitment_template, name="commitment_template"),
    path("trading/drafts/<int:pk>/", views.draft, name="draft"),
    path("trading/drafts/<int:pk>/remove/", views.draft_remove, name="draft_remove"),
    path("trading/applications/", views.my_applications, name="my_applications"),
    path("trading/applications/<int:pk>/", views.application, name="application"),
    path("trading/applications/<int:pk>/withdraw/", views.withdraw, name="withdraw"),
    path("trading/materials/<int:pk>/", views.material, name="material"),
    path("trading/seller/projects/<int:pk>/applicants/", views.seller_applicants, name="seller_applicants"),
    path("trading/seller/applications/<int:pk>/opinion/", views.seller_opinion, name="seller_opinion"),
    path("trading/staff/", views.staff_queue, name="staff_queue"),
    path("trading/staff/applications/<int:pk>/", views.staff_application, name="staff_application"),
    path("trading/staff/projects/<int:pk>/terms/", views.staff_terms, name="staff_terms"),
]
