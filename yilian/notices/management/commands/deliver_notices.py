from django.core.management.base import BaseCommand

from yilian.notices.services import deliver_due


class Command(BaseCommand):
    help = "Send pending notices and retry failed ones whose time has come (run every minute from cron)."

    def handle(self, *args, **options):
        counts = deliver_due()
        self.stdout.write(", ".join(f"{k}: {v}" for k, v in sorted(counts.items())) or "nothing due")
