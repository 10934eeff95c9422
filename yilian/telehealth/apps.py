from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TelehealthConfig(AppConfig):
    name = "yilian.telehealth"
    label = "telehealth"
    verbose_name = _("Remote reading and consultation")
