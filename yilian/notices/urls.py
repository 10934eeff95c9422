from django.urls import path

from . import views

urlpatterns = [
    path("", views.inbox, name="notice-inbox"),
    path("opt-out/", views.public_opt_out, name="public-notices-opt-out"),
]
