"""Delete audit entries older than the retention: the only way entries ever leave the audit log.

    manage.py purge_audit                # older than YILIAN_AUDIT_RETENTION_DAYS (default 180 days)
    manage.py purge_audit --days 365     # keep a year
    manage.py purge_audit --dry-run      # count only

A retention shorter than 180 days (6 months, the minimum the policy requires) is refused.
"""

from datetime import timedelta

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from yilian.core.models import AUDIT_MIN_RETENTION_DAYS, AuditEntry


class Command(BaseCommand):
    help = "Delete audit entries older than the retention period (at least 180 days)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--days", type=int, default=getattr(settings, "YILIAN_AUDIT_RETENTION_DAYS", AUDIT_MIN_RETENTION_DAYS),
            help=f"retention in days (default 180; at least {AUDIT_MIN_RETENTION_DAYS})",
        )
        parser.add_argument("--dry-run", action="store_true", help="count what would be deleted, delete nothing")

    def handle(self, *args, days, dry_run, **options):
        if days < AUDIT_MIN_RETENTION_DAYS:
            raise CommandError(f"Refusing a retention of {days} days: audit entries are kept at least "
                               f"{AUDIT_MIN_RETENTION_DAYS} days.")
        if dry_run:
            cutoff = timezone.now() - timedelta(days=days)
            count = AuditEntry.all_rows.filter(at__lt=cutoff).count()
            self.stdout.write(f"{count} audit entries are older than {days} days (dry run: nothing deleted).")
            return
        deleted = AuditEntry.all_rows.purge_older_than(days)
        self.stdout.write(f"Deleted {deleted} audit entries older than {days} days.")
