from django.urls import path

from exchange.settlement import views

app_name = "settlement"

urlpatterns = [
    path("settlement/finance/", views.finance_home, name="finance"),
    path("settlement/finance/deposits/", views.deposits_held, name="deposits_held"),
    path("settlement/finance/refunds/", views.refunds_due, name="refunds_due"),
    path("settlement/finance/refunds/run/", views.run_refunds, name="run_refunds"),
    path("settlement/finance/exceptions/", views.exceptions, name="exceptions"),
    path("settlement/finance/exceptions/<int:pk>/", views.exception_detail, name="exception"),
    path("settlement/finance/import/", views.statement_upload, name="statement_upload"),
    path("settlement/finance/import/uploads/<int:pk>/", views.statement_preview, name="statement_preview"),
    path(
        "settlement/finance/import/template/<slug:code>.<str:fmt>",
        views.statement_template,
        name="statement_template",
    ),
    path("settlement/finance/imports/<int:pk>/", views.statement_detail, name="statement_detail"),
    path("settlement/finance/imports/<int:pk>/file/", views.statement_file, name="statement_file"),
    path("settlement/finance/batches/", views.batches, name="batches"),
    path("settlement/finance/batches/<int:pk>/", views.batch_detail, name="batch"),
    path("settlement/finance/cash/", views.cash_report, name="cash_report"),
    path("settlement/finance/trial-balance/", views.trial_balance, name="trial_balance"),
    path("settlement/finance/postings/new/", views.manual_posting, name="manual_posting"),
    path("settlement/finance/projects/<int:project_id>/sheet.pdf", views.project_sheet, name="project_sheet"),
    path("settlement/me/", views.member_statement, name="member_statement"),
    path("settlement/me/statement.pdf", views.member_statement_pdf, name="member_statement_pdf"),
]
