"""Mounted at /residents/."""

from django.urls import path

from . import views, views_care

urlpatterns = [
    path("", views.resident_list, name="resident-list"),
    path("export.xlsx", views.resident_export, name="resident-export"),
    path("new/", views.resident_edit, name="resident-new"),
    path("import/", views.resident_import, name="resident-import"),
    path("import/jobs/<int:pk>/", views.resident_import_job, name="resident-import-job"),
    path("import/template.xlsx", views.resident_import_template, name="resident-import-template"),
    path("<int:pk>/", views.resident_detail, name="resident-detail"),
    path("<int:pk>/edit/", views.resident_edit, name="resident-edit"),
    path("<int:pk>/reveal/", views.resident_reveal, name="resident-reveal"),
    path("<int:pk>/tags/new/", views.tag_add, name="resident-tag-add"),
    path("<int:pk>/tags/<int:tag_pk>/delete/", views.tag_remove, name="resident-tag-remove"),
    path("households/<int:pk>/", views.household_detail, name="household-detail"),
    path("households/<int:pk>/edit/", views.household_edit, name="household-edit"),
    path("<int:pk>/contract/", views_care.contract_new, name="fd-contract-new"),
    path("teams/", views_care.team_list, name="fd-team-list"),
    path("teams/new/", views_care.team_new, name="fd-team-new"),
    path("packages/new/", views_care.package_new, name="fd-package-new"),
    path("contracts/", views_care.contract_list, name="fd-contract-list"),
    path("contracts/import/", views.contract_import, name="fd-contract-import"),
    path("contracts/import/template.xlsx", views.contract_import_template, name="fd-contract-import-template"),
    path("contracts/<int:pk>/", views_care.contract_detail, name="fd-contract-detail"),
    path("contracts/<int:pk>/renew/", views_care.contract_renew, name="fd-contract-renew"),
    path("contracts/<int:pk>/terminate/", views_care.contract_terminate, name="fd-contract-terminate"),
    path("contracts/<int:pk>/visit/", views_care.visit_new, name="fd-visit-new"),
    path("visits/today/", views_care.visit_day, name="fd-visit-day"),
    path("visits/plan/", views_care.plan_generate, name="fd-plan-generate"),
    path("coverage/", views_care.coverage, name="fd-coverage"),
    path("coverage/export.xlsx", views_care.coverage_export, name="fd-coverage-export"),
    path("audit/", views.audit_list, name="audit-list"),
    path("audit/export.xlsx", views.audit_export, name="audit-export"),
]
