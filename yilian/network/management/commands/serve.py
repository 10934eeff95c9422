import subprocess
import sys

from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _


class Command(BaseCommand):
    help = _("Run the Yilian web application and API on one address, with its background worker (development).")

    def add_arguments(self, parser):
        parser.add_argument("--addrport", default="127.0.0.1:8000")
        parser.add_argument("--no-worker", action="store_true", help=_("Do not start the background worker."))

    def handle(self, *args, addrport="127.0.0.1:8000", no_worker=False, **options):
        call_command("migrate", interactive=False, verbosity=0)
        # Long jobs (a city's reports) need the worker; the demo should work without a second terminal.
        worker = None if no_worker else subprocess.Popen([sys.executable, "-m", "yilian.cli", "worker"])  # noqa: S603
        try:
            call_command("runserver", addrport, use_reloader=False)
        finally:
            if worker is not None:
                worker.terminate()
                worker.wait(timeout=10)
