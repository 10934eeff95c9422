"""Time the resident import on a fresh file-backed SQLite database (not collected by pytest).

    .venv/bin/python -m tests.familydoctor.bench_import 10000

Prints the time of the preview (read + check), the import (read + check + write) and a second,
idempotent import of the same file.
"""

import os
import sys
import tempfile
import time


def main(count: int):
    directory = tempfile.mkdtemp(prefix="yilian-bench-")
    os.environ["YILIAN_SQLITE_PATH"] = os.path.join(directory, "bench.sqlite3")
    os.environ["YILIAN_DATA_DIR"] = directory
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "yilian.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from tests.factories import InstitutionFactory, RegionFactory, user_with_role
    from tests.familydoctor.sheets import generated_rows, workbook
    from yilian.accounts.models import Membership
    from yilian.familydoctor.imports import import_residents
    from yilian.familydoctor.models import Resident, ResidentTag
    from yilian.network.models import Region

    district = RegionFactory(name="基准区")
    street = RegionFactory(name="基准街道", parent=district, level=Region.Level.SUBDISTRICT)
    RegionFactory(name="基准社区", parent=street, level=Region.Level.COMMUNITY)
    clinic = InstitutionFactory(name="基准社区卫生服务中心", region=street)
    user = user_with_role(Membership.Role.CLINIC_STAFF, clinic)

    started = time.perf_counter()
    content = workbook(generated_rows(count, community="基准社区"))
    print(f"rows: {count}; workbook: {len(content) / 1e6:.1f} MB built in {time.perf_counter() - started:.1f} s")
    for label, commit in (("preview", False), ("import", True), ("import again", True)):
        started = time.perf_counter()
        report = import_residents(user, clinic, content, commit=commit)
        elapsed = time.perf_counter() - started
        assert report.ok, report.errors[:3]
        print(f"{label:>13}: {elapsed:6.2f} s  ({count / elapsed:,.0f} rows/s)  new={report.new} "
              f"updated={report.updated} unchanged={report.unchanged} households={report.households_created} "
              f"tags={report.tags_added}")
    print(f"residents={Resident.objects.count()} tags={ResidentTag.objects.count()}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10_000)
