from django.urls import path

from . import views, views_setup

urlpatterns = [
    path("", views.referral_list, name="referral-list"),
    path("new/", views.referral_new, name="referral-new"),
    path("desk/", views.desk, name="referral-desk"),
    path("desk/queue/", views.desk_queue, name="referral-desk-queue"),
    path("follow-ups/", views.follow_up_list, name="referral-follow-ups"),
    path("follow-ups/<int:pk>/done/", views.follow_up_done, name="referral-follow-up-done"),
    path("roster/", views.roster, name="referral-roster"),
    path("setup/", views_setup.hub_setup, name="referral-setup"),
    path("notifications/", views.notifications, name="referral-notifications"),
    path("stats/", views.stats, name="referral-stats"),
    path("resident/<int:pk>/", views.resident_history, name="referral-resident-history"),
    path("<int:pk>/", views.referral_detail, name="referral-detail"),
    path("<int:pk>/fhir.json", views.referral_fhir, name="referral-fhir"),
    path("<int:pk>/down/", views.referral_down, name="referral-down"),
    path("<int:pk>/<slug:action>/", views.referral_step, name="referral-step"),
]
