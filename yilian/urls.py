from django.contrib import admin
from django.urls import include, path
from django.views.i18n import JavaScriptCatalog

from yilian.api import api
from yilian.ops import views as ops_views

urlpatterns = [
    path("healthz", ops_views.healthz, name="healthz"),
    path("metrics", ops_views.metrics_view, name="metrics"),
    path("", include("yilian.network.urls")),
    path("", include("yilian.accounts.urls")),
    path("", include("yilian.support.urls")),
    path("residents/", include("yilian.familydoctor.urls")),
    path("referrals/", include("yilian.referrals.urls")),
    path("notices/", include("yilian.notices.urls")),
    path("telehealth/", include("yilian.telehealth.urls")),
    path("indicators/", include("yilian.indicators.urls")),
    path("planning/", include("yilian.planning.urls")),
    path("roster/", include("yilian.roster.urls")),
    path("appointments/", include("yilian.appointments.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
    path("api/", api.urls),
    path("admin/", admin.site.urls),
]

handler500 = "yilian.ops.views.server_error"
