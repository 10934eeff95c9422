"""``yilian worker``: the background worker (Huey) that runs long jobs such as a city's reports."""

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Run the background worker that generates reports (Huey; the queue is set by HUEY in settings)."

    def add_arguments(self, parser):
        parser.add_argument("--workers", type=int, default=None, help="worker threads (default: YILIAN_WORKERS or 2)")

    def handle(self, *args, workers=None, **options):
        from huey.contrib.djhuey import HUEY

        if HUEY.immediate:
            self.stderr.write("YILIAN_TASKS_IMMEDIATE=1: jobs run inside the web process; no worker is needed.")
            return
        consumer = settings.HUEY.get("consumer", {})
        self.stdout.write(f"Worker on queue {HUEY.name!r} ({type(HUEY).__name__}), "
                          f"{workers or consumer.get('workers', 1)} worker thread(s).")
        from yilian.ops.jobs import start_recovery_thread

        start_recovery_thread()  # jobs a killed worker left behind start again (or fail, to be asked again)
        call_command("run_huey", workers=workers or consumer.get("workers", 1))
