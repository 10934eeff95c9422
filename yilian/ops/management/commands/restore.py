"""``yilian restore``: put a backup back into an empty database and media folder, then verify it."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from yilian.ops.backup import BackupError, restore


class Command(BaseCommand):
    help = "Restore a backup made by `yilian backup` and compare every table's row count and checksum."

    def add_arguments(self, parser):
        parser.add_argument("archive", type=Path)
        parser.add_argument("--force", action="store_true",
                            help="replace a database and media folder that are not empty")

    def handle(self, *args, archive, force=False, **options):
        if not archive.is_file():
            raise CommandError(f"{archive} does not exist")
        try:
            report = restore(archive, force=force)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        if report["bad_tables"] or report["bad_files"]:
            raise CommandError(f"The restore does not match the backup: tables {report['bad_tables']}, "
                               f"files {report['bad_files']}")
        self.stdout.write(self.style.SUCCESS(
            f"Restored and verified: {report['tables']} tables, {report['rows']} rows, {report['files']} files "
            "match the backup's checksums."))
