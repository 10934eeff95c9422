from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OpsConfig(AppConfig):
    """Running Yilian in production: health, metrics, structured logs, backups, the production command."""

    name = "yilian.ops"
    label = "ops"
    verbose_name = _("Operations")
