from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FamilyDoctorConfig(AppConfig):
    name = "yilian.familydoctor"
    label = "familydoctor"
    verbose_name = _("Family doctors")

    def ready(self):
        from . import signals

        signals.connect()
