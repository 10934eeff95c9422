from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IndicatorsConfig(AppConfig):
    name = "yilian.indicators"
    label = "indicators"
    verbose_name = _("Policy indicators")

    def ready(self):
        from . import metrics  # noqa: F401 — registers the built-in metrics
