"""Reports, under /support/: the monthly workload report and the yearly summary and self-evaluation."""

from django.urls import path

from . import views_reports as views

urlpatterns = [
    path("reports/", views.monthly, name="report-monthly"),
    path("reports/start/", views.job_start, name="report-job-start"),
    path("reports/jobs/<int:pk>/", views.job_detail, name="report-job"),
    path("reports/jobs/<int:pk>/file.<str:fmt>", views.job_file, name="report-job-file"),
    path("reports/monthly.<str:fmt>", views.monthly_file, name="report-monthly-file"),
    path("yearly/", views.yearly_list, name="yearly-list"),
    path("yearly/open/", views.yearly_open, name="yearly-open"),
    path("yearly/<int:pk>/", views.yearly_detail, name="yearly-detail"),
    path("yearly/<int:pk>/submit/", views.yearly_submit, name="yearly-submit"),
    path("yearly/<int:pk>/refresh/", views.yearly_refresh, name="yearly-refresh"),
    path("yearly/<int:pk>/report.pdf", views.yearly_pdf, name="yearly-pdf"),
    path("yearly/programme/<int:pk>/", views.yearly_status, name="yearly-status"),
]
