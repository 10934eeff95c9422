"""The ``yilian`` console command: ``yilian demo``, ``yilian serve``, ``yilian createsupervisor``,
``yilian coverage`` (walking-time coverage from files, see docs/planning.md) …

Every sub-command is a Django management command, so ``yilian X`` equals ``manage.py X``.
"""

import os
import sys


def main(argv=None):
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "yilian.settings")
    from django.core.management import execute_from_command_line

    args = list(sys.argv[1:] if argv is None else argv)
    execute_from_command_line(["yilian", *(args or ["help"])])


if __name__ == "__main__":
    main()
