from django.urls import path

from . import views

urlpatterns = [
    path("", views.study_list, name="telehealth-list"),
    path("new/", views.study_new, name="telehealth-new"),
    path("worklist/", views.worklist, name="telehealth-worklist"),
    path("worklist/rows/", views.worklist_rows, name="telehealth-worklist-rows"),
    path("stats/", views.stats, name="telehealth-stats"),
    path("studies/<int:pk>/", views.study_detail, name="telehealth-study"),
    path("studies/<int:pk>/files/<int:file_pk>/", views.study_file, name="telehealth-file"),
    path("studies/<int:pk>/files/<int:file_pk>/image.png", views.study_image, name="telehealth-image"),
    path("studies/<int:pk>/claim/", views.study_claim, name="telehealth-claim"),
    path("studies/<int:pk>/report/", views.study_report, name="telehealth-report"),
    path("studies/<int:pk>/report.pdf", views.report_pdf, name="telehealth-report-pdf"),
    path("studies/<int:pk>/fhir.json", views.study_fhir, name="telehealth-fhir"),
    path("studies/<int:pk>/green-channel/", views.study_green_channel, name="telehealth-green-channel"),
    path("consultations/", views.consultation_list, name="telehealth-consultations"),
    path("consultations/new/", views.consultation_new, name="telehealth-consultation-new"),
    path("consultations/<int:pk>/", views.consultation_detail, name="telehealth-consultation"),
    path("consultations/<int:pk>/<slug:step>/", views.consultation_step, name="telehealth-consultation-step"),
    path("resident/<int:pk>/", views.resident_record, name="telehealth-resident"),
]
