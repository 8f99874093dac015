from django.urls import path

from exchange.deals import views

app_name = "deals"

urlpatterns = [
    path("deals/me/", views.member_deals, name="member_deals"),
    path("deals/me/<int:pk>/", views.member_deal, name="member_deal"),
    path("deals/me/<int:pk>/sign/", views.contract_sign, name="contract_sign"),
    path("deals/<int:pk>/contract/", views.contract, name="contract"),
    path("deals/<int:pk>/contract.pdf", views.contract_pdf, name="contract_pdf"),
    path("deals/<int:pk>/certificate.pdf", views.certificate_pdf, name="certificate_pdf"),
    path("deals/certificates/<str:number>/<str:code>/", views.certificate_verify, name="certificate_verify"),
    path("deals/staff/", views.staff_deals, name="staff_deals"),
    path("deals/staff/<int:pk>/", views.staff_deal, name="staff_deal"),
    path("deals/staff/<int:pk>/review/", views.staff_review, name="staff_review"),
    path("deals/staff/<int:pk>/payment/", views.staff_payment, name="staff_payment"),
    path("deals/staff/<int:pk>/default/", views.staff_default, name="staff_default"),
    path("deals/staff/<int:pk>/relist/", views.staff_relist, name="staff_relist"),
    path("deals/staff/<int:pk>/certificate/", views.staff_certificate_issue, name="staff_certificate_issue"),
    path("deals/staff/<int:pk>/certificate/revoke/", views.staff_certificate_revoke, name="staff_certificate_revoke"),
]
