from django.urls import path

from . import views

urlpatterns = [
    path("", views.scenario_list, name="planning-list"),
    path("new/", views.scenario_new, name="planning-new"),
    path("compare/", views.scenario_compare, name="planning-compare"),
    path("<int:pk>/", views.scenario_detail, name="planning-detail"),
    path("<int:pk>/map/", views.scenario_map, name="planning-map"),
    path("<int:pk>/map.json", views.scenario_map_data, name="planning-map-data"),
    path("<int:pk>/whatif/", views.scenario_whatif, name="planning-whatif"),
    path("<int:pk>/export/<str:kind>/", views.scenario_export, name="planning-export"),
]
