"""Visits and the ledger, under /support/."""

from django.urls import path

from . import views_visits as views

urlpatterns = [
    path("today/", views.today, name="support-today"),
    path("today/check-in/", views.check_in, name="visit-check-in"),
    path("visits/", views.visit_list, name="visit-list"),
    path("visits/<int:pk>/", views.visit_detail, name="visit-detail"),
    path("visits/<int:pk>/check-out/", views.check_out, name="visit-check-out"),
    path("visits/<int:pk>/work/", views.work_add, name="visit-work-add"),
    path("visits/<int:pk>/review/", views.visit_review, name="visit-review"),
    path("work/<int:pk>/delete/", views.work_delete, name="work-item-delete"),
    path("ledger/", views.ledger_index, name="ledger-index"),
    path("pairings/<int:pk>/ledger/", views.pairing_ledger, name="pairing-ledger"),
    path("pairings/<int:pk>/ledger.xlsx", views.pairing_ledger_export, name="pairing-ledger-export"),
]
