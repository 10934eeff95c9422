"""Benchmark of remote reading at the figures issue 5 names (not run by the tests).

- upload-to-worklist: a clinic posts pydicom's 12-lead ``waveform_ecg.dcm`` through the API
  (multipart, content checks, storage, audit, duty-desk notice) and the hub's worklist page shows
  it — target < 1 s;
- 12-lead render: ``waveform_ecg.dcm`` parsed and drawn as the SVG sheet — target < 300 ms; peer:
  matplotlib drawing the same 12 leads (3 × 4 + rhythm strip, pink grid) to SVG and to PNG;
- worklist page with N studies (default 50 000) in the database — target < 200 ms; baseline: the
  same page without the ``study_worklist`` index.

Everything runs in-process (Django's test client) on a temporary SQLite database, or on PostgreSQL
through ``scripts/pg.sh run``. Run from the project root:

    .venv/bin/python bench/bench_telehealth.py [--studies 50000] [--runs 15]
"""

from __future__ import annotations

import argparse
import io
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TMP = Path(tempfile.mkdtemp(prefix="yilian-bench-telehealth-"))
os.environ.update({"YILIAN_DATA_DIR": str(TMP), "YILIAN_SQLITE_PATH": str(TMP / "bench.sqlite3"),
                   "YILIAN_MEDIA_ROOT": str(TMP / "media"), "YILIAN_DEBUG": "0",
                   "DJANGO_SETTINGS_MODULE": "yilian.settings"})
sys.path.insert(0, str(ROOT))

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.utils import timezone  # noqa: E402

from tests.factories import HospitalFactory, InstitutionFactory, RegionFactory, user_with_role  # noqa: E402
from tests.familydoctor.factories import ResidentFactory  # noqa: E402
from yilian.accounts.models import Membership  # noqa: E402
from yilian.network.models import Alliance, Institution  # noqa: E402
from yilian.telehealth import ecg, intake  # noqa: E402
from yilian.telehealth.demo import bundled_file  # noqa: E402
from yilian.telehealth.models import Study, Urgency, target_minutes  # noqa: E402

settings.ALLOWED_HOSTS = ["*"]
settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def median_ms(fn, runs: int) -> float:
    fn()  # warm-up: imports, template and query caches
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


# ----------------------------------------------------------------------------- data


def build(n_studies: int, hubs: int = 10, clinics_per_hub: int = 10):
    call_command("migrate", verbosity=0)
    region = RegionFactory(name="基准市")
    rng = random.Random(5)
    world = []
    for h in range(hubs):
        hub = HospitalFactory(region=region, name=f"基准医院{h}")
        alliance = Alliance.objects.create(name=f"基准医联体{h}", kind=Alliance.Kind.URBAN_GROUP, lead=hub)
        reader = user_with_role(Membership.Role.DOCTOR, hub)
        clinics = []
        for c in range(clinics_per_hub):
            clinic = InstitutionFactory(region=region, kind=Institution.Kind.TOWNSHIP_CENTER, name=f"基准卫生院{h}-{c}")
            alliance.members.add(clinic)
            clinics.append((clinic, ResidentFactory(clinic=clinic), user_with_role(Membership.Role.CLINIC_STAFF,
                                                                                   clinic)))
        world.append({"hub": hub, "reader": reader, "clinics": clinics})
    now = timezone.now()
    rows = []
    for i in range(n_studies):
        entry = world[i % hubs]
        clinic, resident, staff = entry["clinics"][(i // hubs) % clinics_per_hub]
        # 5 % still open (2 500 of 50 000, 250 on each hub's worklist): urgent and routine studies of
        # the last day; emergencies are read within minutes, so the backlog holds none
        open_ = i % 20 == 0
        urgency = rng.choice([2, 3, 3]) if open_ else rng.choice([1, 2, 3, 3, 3, 3])
        sent = now - timedelta(minutes=rng.randint(1, 24 * 60 if open_ else 365 * 24 * 60))
        turnaround = None if open_ else rng.randint(2, target_minutes(urgency) * 2)
        rows.append(Study(
            resident=resident, clinic=clinic, centre=entry["hub"], modality="ecg", urgency=urgency,
            question="胸闷", status=Study.Status.SENT if open_ else Study.Status.REPORTED, sent_by=staff,
            sent_at=sent, due_at=sent + timedelta(minutes=target_minutes(urgency)),
            reported_at=None if open_ else sent + timedelta(minutes=turnaround), turnaround_minutes=turnaround,
            summary={"files": 1}))
    Study.objects.bulk_create(rows, batch_size=5000)
    return world


# ----------------------------------------------------------------------------- upload to worklist


def upload_to_worklist(world, runs: int) -> float:
    entry = world[0]
    clinic, resident, staff = entry["clinics"][0]
    sender, reader = Client(), Client()
    sender.force_login(staff)
    reader.force_login(entry["reader"])
    content = bundled_file("waveform_ecg.dcm")

    def once():
        response = sender.post("/api/v1/telehealth/studies", {
            "resident": resident.pk, "modality": "ecg", "urgency": Urgency.EMERGENCY, "question": "胸痛",
            "files": [_upload(content)]})
        assert response.status_code == 201, response.content[:300]
        study_id = response.json()["id"]
        page = reader.get("/telehealth/worklist/")
        assert f'/telehealth/studies/{study_id}/' in page.content.decode()

    return median_ms(once, runs)


def _upload(content):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("ecg.dcm", content, content_type="application/dicom")


# ----------------------------------------------------------------------------- 12-lead render


def yilian_render(content: bytes) -> str:
    return ecg.render_svg(ecg.from_dicom(intake.read_dicom(content)))


def matplotlib_render(content: bytes, fmt: str) -> bytes:
    """The same sheet with matplotlib: 3 × 4 leads + rhythm strip on a pink 1 mm / 5 mm grid."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    record = ecg.from_dicom(intake.read_dicom(content))
    hz = record.sampling_hz
    width, height = ecg.sheet_size()
    fig = plt.figure(figsize=(width / 25.4, height / 25.4), dpi=100)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(0, width)
    ax.set_ylim(height, 0)
    ax.axis("off")
    for x in range(int(width) + 1):
        ax.axvline(x, color="#e88a8a" if x % 5 == 0 else "#f6c6c6", lw=0.4 if x % 5 == 0 else 0.2)
    for y in range(int(height) + 1):
        ax.axhline(y, color="#e88a8a" if y % 5 == 0 else "#f6c6c6", lw=0.4 if y % 5 == 0 else 0.2)
    samples = int(ecg.COLUMN_S * hz)
    for row, names in enumerate(ecg.LAYOUT):
        base = ecg.TOP_MM + row * ecg.ROW_MM + ecg.ROW_MM / 2
        for col, name in enumerate(names):
            seg = record.leads[name][col * samples:(col + 1) * samples]
            x = ecg.LEFT_MM + col * ecg.COLUMN_S * 25 + np.arange(len(seg)) / hz * 25
            ax.plot(x, base - seg * 10, color="black", lw=0.5)
            ax.text(x[0] + 1, base - 9, name, fontsize=6)
    base = ecg.TOP_MM + 3 * ecg.ROW_MM + ecg.ROW_MM / 2
    rhythm = record.leads["II"][:int(10 * hz)]
    ax.plot(ecg.LEFT_MM + np.arange(len(rhythm)) / hz * 25, base - rhythm * 10, color="black", lw=0.5)
    out = io.BytesIO()
    fig.savefig(out, format=fmt)
    plt.close(fig)
    return out.getvalue()


# ----------------------------------------------------------------------------- worklist page


def worklist_page(world, runs: int) -> float:
    client = Client()
    client.force_login(world[1]["reader"])

    def once():
        response = client.get("/telehealth/worklist/")
        assert response.status_code == 200

    return median_ms(once, runs)


def drop_worklist_index():
    with connection.schema_editor() as editor:
        editor.remove_index(Study, next(i for i in Study._meta.indexes if i.name == "study_worklist"))


# ----------------------------------------------------------------------------- main


def row(name, ours, peer_name, peer, target):
    ratio = f"{peer / ours:.1f}×" if peer else "—"
    peer_text = f"{peer:.0f} ms" if peer else "—"
    return f"| {name} | {ours:.0f} ms | {peer_name} | {peer_text} | {ratio} | {target} ms | " \
           f"{'met' if ours < target else 'NOT met'} |"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--studies", type=int, default=50_000)
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    load = os.getloadavg()[0]
    print(f"database: {connection.vendor}; load average at start: {load:.1f}; temporary data in {TMP}")
    start = time.perf_counter()
    world = build(args.studies)
    print(f"built {Study.objects.count()} studies in {time.perf_counter() - start:.0f} s")
    content = bundled_file("waveform_ecg.dcm")
    render = median_ms(lambda: yilian_render(content), args.runs)
    mpl_svg = median_ms(lambda: matplotlib_render(content, "svg"), max(3, args.runs // 3))
    mpl_png = median_ms(lambda: matplotlib_render(content, "png"), max(3, args.runs // 3))
    upload = upload_to_worklist(world, args.runs)
    worklist = worklist_page(world, args.runs)
    drop_worklist_index()
    worklist_no_index = worklist_page(world, args.runs)
    print()
    print("| figure | Yilian | peer / baseline | peer time | peer ÷ Yilian | target | target |")
    print("|---|---:|---|---:|---:|---:|---|")
    print(row("upload-to-worklist (DICOM ECG)", upload, "—", None, 1000))
    print(row("12-lead render of waveform_ecg.dcm (SVG)", render, "matplotlib → SVG", mpl_svg, 300))
    print(row("12-lead render of waveform_ecg.dcm", render, "matplotlib → PNG", mpl_png, 300))
    print(row(f"worklist page, {args.studies:,} studies", worklist, "without the worklist index",
              worklist_no_index, 200))


if __name__ == "__main__":
    try:
        main()
    finally:
        import shutil

        shutil.rmtree(TMP, ignore_errors=True)
