from django.urls import path

from . import views

urlpatterns = [
    path("", views.dashboard, name="indicator-dashboard"),
    path("packs/", views.pack_list, name="indicator-packs"),
    path("new/", views.indicator_new, name="indicator-new"),
    path("<int:pk>/", views.indicator_detail, name="indicator-detail"),
    path("<int:pk>/records/", views.indicator_records, name="indicator-records"),
    path("<int:pk>/edit/", views.indicator_edit, name="indicator-edit"),
    path("<int:pk>/weight/", views.indicator_weight, name="indicator-weight"),
    path("laggards/", views.laggard_list, name="indicator-laggards"),
    path("assessment/", views.assessment_view, name="indicator-assessment"),
    path("ledgers/", views.ledger_index, name="indicator-ledger-home"),
    path("ledgers/health-education/quotas/", views.health_education_quotas, name="indicator-ledger-quotas"),
    path("ledgers/<slug:kind>/", views.ledger_list, name="indicator-ledger-list"),
    path("ledgers/<slug:kind>/new/", views.ledger_new, name="indicator-ledger-new"),
    path("ledgers/<slug:kind>/export.xlsx", views.ledger_export, name="indicator-ledger-export"),
    path("surveys/", views.survey_list, name="indicator-survey-list"),
    path("surveys/new/", views.survey_create, name="indicator-survey-create"),
    path("surveys/<int:pk>/", views.survey_results, name="indicator-survey-results"),
    path("surveys/<int:pk>/qr/<int:clinic_id>/", views.survey_qr, name="indicator-survey-qr"),
    path("s/<int:survey_id>/<int:clinic_id>/", views.public_survey, name="public-survey"),
    path("s/<int:survey_id>/<int:clinic_id>/thanks/", views.public_survey_thanks, name="public-survey-thanks"),
]
