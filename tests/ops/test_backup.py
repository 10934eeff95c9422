"""``yilian backup`` and ``yilian restore`` as an operator runs them, on the suite's database engine:
a site with the Guiyang demo and uploaded files is backed up, restored into a fresh database and
media folder, and every table's row count and checksum and every file are compared."""

import json
import os
import subprocess
import sys
import tarfile
import uuid
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parents[2]

FINGERPRINT = """
import json, django
django.setup()
from pathlib import Path
from django.conf import settings
from yilian.ops.backup import media_fingerprints, table_fingerprints
print("FP" + json.dumps({"tables": table_fingerprints(), "media": media_fingerprints(Path(settings.MEDIA_ROOT))}))
"""

SEED = """
import django
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
from yilian.network.demo_loader import load_guiyang
from yilian.accounts.demo_users import create_demo_users
load_guiyang(); create_demo_users()
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
default_storage.save("referrals/2026/11/ecg-张三.pdf", ContentFile(b"%PDF-1.4 ecg"))
default_storage.save("reports/2026/10/monthly.xlsx", ContentFile(bytes(range(256)) * 100))
"""


def _site(tmp_path, name):
    """Environment of one site: its own database and media folder on the suite's engine."""
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "YILIAN_SQLITE_PATH")}
    env.update({"DJANGO_SETTINGS_MODULE": "yilian.settings", "PYTHONPATH": str(ROOT),
                "YILIAN_DATA_DIR": str(tmp_path / name), "YILIAN_MEDIA_ROOT": str(tmp_path / name / "media")})
    server = os.environ.get("DATABASE_URL")
    if server:  # the PostgreSQL pass: a new database on the same server
        database = f"yilian_backup_{name}_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(server, autocommit=True) as db:
            db.execute(f'CREATE DATABASE "{database}"')
        env["DATABASE_URL"] = server.rsplit("/", 1)[0] + "/" + database
    else:
        env["YILIAN_SQLITE_PATH"] = str(tmp_path / name / "yilian.sqlite3")
    (tmp_path / name).mkdir(exist_ok=True)
    return env


def _run(env, *args, code=None):
    command = [sys.executable, "-c", code] if code else [sys.executable, "-m", "yilian.cli", *args]
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)  # noqa: S603


def _fingerprint(env):
    result = _run(env, code=FINGERPRINT)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.split("FP", 1)[1])


def test_a_restored_backup_matches_table_by_table_and_file_by_file(tmp_path):
    source = _site(tmp_path, "source")
    seeded = _run(source, code=SEED)
    assert seeded.returncode == 0, seeded.stderr
    archive = tmp_path / "backup.tar.gz"
    made = _run(source, "backup", "--output", str(archive))
    assert made.returncode == 0, made.stderr
    with tarfile.open(archive) as tar:
        names = tar.getnames()
    assert "manifest.json" in names and "media/referrals/2026/11/ecg-张三.pdf" in names

    target = _site(tmp_path, "target")
    restored = _run(target, "restore", str(archive))
    assert restored.returncode == 0, restored.stderr
    assert "Restored and verified" in restored.stdout

    before, after = _fingerprint(source), _fingerprint(target)
    assert len(before["tables"]) > 40 and before["tables"]["network_institution"]["rows"] > 30
    assert after == before  # every table's rows and checksum, every file's bytes

    again = _run(target, "restore", str(archive))  # a second restore would overwrite a live site
    assert again.returncode != 0 and "not empty" in again.stderr


def test_a_damaged_backup_is_refused(tmp_path):
    target = _site(tmp_path, "target")
    broken = tmp_path / "broken.tar.gz"
    broken.write_bytes(b"\x1f\x8b\x08 not really gzip")
    result = _run(target, "restore", str(broken))
    assert result.returncode != 0 and "Traceback" not in result.stderr
