from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from yilian.indicators import engine, packs


class Command(BaseCommand):
    help = _("Load (or reload) the policy packs from their YAML files; a bad file changes nothing.")

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="*", help=_("pack files (default: every shipped pack)"))

    def handle(self, *args, files=(), **options):
        paths = files or packs.shipped_files()
        failed = False
        for path in paths:
            try:
                pack = packs.load_file(path)
            except packs.PackInvalid as exc:
                failed = True
                self.stderr.write(str(exc))
                continue
            self.stdout.write(f"{pack.slug}: {pack.indicators.count()} indicators (v{pack.version})")
        engine.refresh()
        if failed:
            raise CommandError(_("Some packs are invalid and were not loaded."))
