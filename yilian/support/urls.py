"""Counterpart support URLs; each area keeps its own url module so that they can grow apart."""

from django.urls import include, path

urlpatterns = [
    path("support/", include("yilian.support.urls_plan")),
    path("support/", include("yilian.support.urls_visits")),
    path("support/", include("yilian.support.urls_reports")),
    path("studio/", include("yilian.support.urls_studio")),
]
