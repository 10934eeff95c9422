"""The expert studio under /studio/: public pages per clinic (no login), and the clinic's side under manage/."""

from django.urls import path

from . import views_studio as views

urlpatterns = [
    path("<int:clinic_id>/", views.studio, name="studio"),
    path("<int:clinic_id>/sessions/<int:session_id>/book/", views.book, name="studio-book"),
    path("<int:clinic_id>/bookings/<str:code>/", views.booked, name="studio-booked"),
    path("<int:clinic_id>/cancel/", views.cancel, name="studio-cancel"),
    path("manage/", views.manage, name="studio-manage"),
    path("manage/sessions/new/", views.session_new, name="studio-session-new"),
    path("manage/sessions/<int:pk>/cancel/", views.session_cancel, name="studio-session-cancel"),
    path("manage/bookings/<int:pk>/mark/", views.mark, name="studio-booking-mark"),
]
