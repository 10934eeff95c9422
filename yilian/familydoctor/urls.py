"""Mounted at /residents/."""

from django.urls import path

from . import views

urlpatterns = [
    path("", views.resident_list, name="resident-list"),
    path("export.xlsx", views.resident_export, name="resident-export"),
    path("new/", views.resident_edit, name="resident-new"),
    path("import/", views.resident_import, name="resident-import"),
    path("import/template.xlsx", views.resident_import_template, name="resident-import-template"),
    path("<int:pk>/", views.resident_detail, name="resident-detail"),
    path("<int:pk>/edit/", views.resident_edit, name="resident-edit"),
    path("<int:pk>/reveal/", views.resident_reveal, name="resident-reveal"),
    path("<int:pk>/tags/new/", views.tag_add, name="resident-tag-add"),
    path("<int:pk>/tags/<int:tag_pk>/delete/", views.tag_remove, name="resident-tag-remove"),
    path("households/<int:pk>/", views.household_detail, name="household-detail"),
    path("households/<int:pk>/edit/", views.household_edit, name="household-edit"),
    path("audit/", views.audit_list, name="audit-list"),
    path("audit/export.xlsx", views.audit_export, name="audit-export"),
]
