from django.core.management.base import BaseCommand
from django.utils import timezone
from django.utils.translation import gettext as _

from yilian.indicators import engine, laggards


class Command(BaseCommand):
    help = _("Recompute the indicator snapshot; optionally notify laggards and send the monthly summary.")

    def add_arguments(self, parser):
        parser.add_argument("--notify", action="store_true",
                            help=_("notify the laggards' coordinators and supervisors"))
        parser.add_argument("--summary", action="store_true", help=_("send the supervisors' monthly summary"))

    def handle(self, *args, notify=False, summary=False, **options):
        today = timezone.localdate()
        rows = engine.refresh(today=today)
        self.stdout.write(f"snapshot: {rows} rows")
        if notify:
            self.stdout.write(f"laggard notices: {laggards.notify_laggards(today)}")
        if summary:
            self.stdout.write(f"monthly summaries: {laggards.monthly_summary(today)}")
