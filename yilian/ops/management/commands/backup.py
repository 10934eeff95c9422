"""``yilian backup``: the database, the uploaded files and a manifest in one .tar.gz."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from yilian.ops.backup import BackupError, backup


class Command(BaseCommand):
    help = "Back up the database (SQLite or PostgreSQL) and uploaded files, with a manifest of checksums."

    def add_arguments(self, parser):
        parser.add_argument("--output", type=Path, help="the archive to write")
        parser.add_argument("--output-dir", type=Path, help="write yilian-backup-<time>.tar.gz here instead")
        parser.add_argument("--keep", type=int, default=0, help="with --output-dir: keep only the newest N backups")

    def handle(self, *args, output=None, output_dir=None, keep=0, **options):
        if bool(output) == bool(output_dir):
            raise CommandError("give either --output FILE or --output-dir DIR")
        if output_dir:
            output = output_dir / f"yilian-backup-{timezone.localtime():%Y%m%d-%H%M%S}.tar.gz"
        try:
            result = backup(output)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(self.style.SUCCESS(
            f"Backup written to {result.path}: {result.tables} tables, {result.rows} rows, {result.files} files."))
        if output_dir and keep > 0:
            for old in sorted(output_dir.glob("yilian-backup-*.tar.gz"))[:-keep]:
                old.unlink()
                self.stdout.write(f"Removed old backup {old.name}")
