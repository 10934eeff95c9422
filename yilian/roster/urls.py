from django.urls import path

from . import views

urlpatterns = [
    path("", views.home, name="roster-home"),
    path("start/", views.start, name="roster-start"),
    path("absences/add/", views.absence_add, name="roster-absence-add"),
    path("runs/<int:pk>/", views.run_detail, name="roster-run"),
    path("runs/<int:pk>/rules/", views.rule_add, name="roster-rule-add"),
    path("runs/<int:pk>/rules/<int:rule_pk>/delete/", views.rule_delete, name="roster-rule-delete"),
    path("runs/<int:pk>/again/", views.rerun, name="roster-rerun"),
    path("runs/<int:pk>/cancel/", views.cancel, name="roster-cancel"),
    path("runs/<int:pk>/approve/", views.approve, name="roster-approve"),
]
