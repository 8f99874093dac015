from django.urls import path

from exchange.settlement.views import batches, documents, exceptions, imports, postings, reports

app_name = "settlement"

urlpatterns = [
    path("settlement/finance/", reports.finance_home, name="finance"),
    path("settlement/finance/deposits/", reports.deposits_held, name="deposits_held"),
    path("settlement/finance/refunds/", reports.refunds_due, name="refunds_due"),
    path("settlement/finance/refunds/run/", reports.run_refunds, name="run_refunds"),
    path("settlement/finance/exceptions/", exceptions.exceptions, name="exceptions"),
    path("settlement/finance/exceptions/<int:pk>/", exceptions.exception_detail, name="exception"),
    path("settlement/finance/import/", imports.statement_upload, name="statement_upload"),
    path("settlement/finance/import/uploads/<int:pk>/", imports.statement_preview, name="statement_preview"),
    path(
        "settlement/finance/import/template/<slug:code>.<str:fmt>",
        imports.statement_template,
        name="statement_template",
    ),
    path("settlement/finance/imports/<int:pk>/", imports.statement_detail, name="statement_detail"),
    path("settlement/finance/imports/<int:pk>/file/", imports.statement_file, name="statement_file"),
    path("settlement/finance/batches/", batches.batches, name="batches"),
    path("settlement/finance/batches/<int:pk>/", batches.batch_detail, name="batch"),
    path("settlement/finance/cash/", reports.cash_report, name="cash_report"),
    path("settlement/finance/trial-balance/", reports.trial_balance, name="trial_balance"),
    path("settlement/finance/postings/new/", postings.manual_posting, name="manual_posting"),
    path("settlement/finance/projects/<int:project_id>/sheet.pdf", documents.project_sheet, name="project_sheet"),
    path("settlement/me/", documents.member_statement, name="member_statement"),
    path("settlement/me/statement.pdf", documents.member_statement_pdf, name="member_statement_pdf"),
]
