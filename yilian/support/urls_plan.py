"""URLs of the plan area, included under /support/."""

from django.urls import path

from . import views_plan as views

urlpatterns = [
    path("plan/", views.plan_home, name="plan-home"),
    path("plan/hospital/<int:pk>/", views.plan_hospital, name="plan-hospital"),
    path("plan/hospital/<int:pk>/assign/", views.plan_hospital_assign, name="plan-hospital-assign"),
    path("plan/hospital/<int:pk>/export.xlsx", views.plan_hospital_export, name="plan-hospital-export"),
    path("plan/clinic/<int:pk>/", views.plan_clinic, name="plan-clinic"),
    path("plan/clinic/<int:pk>/export.xlsx", views.plan_clinic_export, name="plan-clinic-export"),
    path("plan/assignments/<int:pk>/cancel/", views.assignment_cancel, name="assignment-cancel"),
    path("programmes/", views.programme_list, name="programme-list"),
    path("programmes/new/", views.programme_edit, name="programme-new"),
    path("programmes/<int:pk>/", views.programme_detail, name="programme-detail"),
    path("programmes/<int:pk>/edit/", views.programme_edit, name="programme-edit"),
    path("calendar/", views.calendar_list, name="calendar-list"),
    path("calendar/new/", views.calendar_edit, name="calendar-new"),
    path("calendar/range/", views.calendar_range, name="calendar-range"),
    path("calendar/<int:pk>/edit/", views.calendar_edit, name="calendar-edit"),
    path("calendar/<int:pk>/delete/", views.calendar_delete, name="calendar-delete"),
    path("agreements/", views.agreement_list, name="agreement-list"),
    path("agreements/new/", views.agreement_edit, name="agreement-new"),
    path("agreements/<int:pk>/", views.agreement_detail, name="agreement-detail"),
    path("agreements/<int:pk>/edit/", views.agreement_edit, name="agreement-edit"),
    path("agreements/<int:pk>/document/", views.agreement_document, name="agreement-document"),
    path("doctors/", views.doctor_list, name="doctor-list"),
    path("doctors/new/", views.doctor_edit, name="doctor-new"),
    path("doctors/import/", views.doctor_import, name="doctor-import"),
    path("doctors/import/template.xlsx", views.doctor_import_template, name="doctor-import-template"),
    path("doctors/<int:pk>/", views.doctor_detail, name="doctor-detail"),
    path("doctors/<int:pk>/edit/", views.doctor_edit, name="doctor-edit"),
    path("service-record/", views.service_record_home, name="service-record-home"),
    path("service-record/hospital/<int:pk>/", views.service_record_hospital, name="service-record-hospital"),
    path("service-record/hospital/<int:pk>/export.xlsx", views.service_record_export,
         name="service-record-export"),
]
