"""Appointments under /appointments/: residents' public pages (public-…, rate-limited) and the clinic's desk."""

from django.urls import path

from . import views

urlpatterns = [
    path("clinic/<int:clinic_id>/", views.public_clinic, name="public-appointments"),
    path("clinic/<int:clinic_id>/sessions/<int:session_id>/book/", views.public_book, name="public-appointment-book"),
    path("clinic/<int:clinic_id>/find/", views.public_find, name="public-appointment-find"),
    path("clinic/<int:clinic_id>/bookings/<str:code>/", views.public_booking, name="public-appointment"),
    path("clinic/<int:clinic_id>/bookings/<str:code>/cancel/", views.public_cancel, name="public-appointment-cancel"),
    path("clinic/<int:clinic_id>/bookings/<str:code>/reschedule/", views.public_reschedule,
         name="public-appointment-reschedule"),
    path("desk/", views.desk, name="appointment-desk"),
    path("bookings/<int:pk>/mark/", views.mark, name="appointment-mark"),
    path("schedules/", views.schedules, name="appointment-schedules"),
    path("schedules/<int:pk>/publish/", views.publish, name="appointment-schedule-publish"),
    path("closures/new/", views.closure_new, name="appointment-closure-new"),
    path("measure/", views.measure, name="appointment-measure"),
]
