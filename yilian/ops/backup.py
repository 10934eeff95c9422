"""Backups: the database, the uploaded files and a manifest to prove a restore is whole.

A backup is one ``.tar.gz``: ``manifest.json`` (engine, time, every table's row count and checksum,
every uploaded file's size and SHA-256), ``database.sqlite3`` or ``database.pgdump`` (pg_dump's
custom format) and ``media/``. A restore refuses a database or media folder that is not empty
(unless forced), then recomputes every checksum and fails loudly if one differs.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.db import connection
from django.utils import timezone

FORMAT_VERSION = 1


class BackupError(Exception):
    pass


# ---------------------------------------------------------------------------- checksums


def table_fingerprints() -> dict[str, dict]:
    """Row count and SHA-256 of every table's rows, in a stable order (all columns)."""
    fingerprints = {}
    with connection.cursor() as cursor:
        for table in sorted(connection.introspection.table_names(cursor)):
            quoted = connection.ops.quote_name(table)
            cursor.execute(f"SELECT * FROM {quoted} WHERE 1 = 0")  # noqa: S608 — names from introspection
            order = ", ".join(str(i + 1) for i in range(len(cursor.description)))
            cursor.execute(f"SELECT * FROM {quoted} ORDER BY {order}")  # noqa: S608
            digest, rows = hashlib.sha256(), 0
            while batch := cursor.fetchmany(5000):
                for row in batch:
                    digest.update(json.dumps([_plain(v) for v in row], ensure_ascii=False).encode())
                    rows += 1
            fingerprints[table] = {"rows": rows, "sha256": digest.hexdigest()}
    return fingerprints


def _plain(value):
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value.normalize())
    if isinstance(value, bytes | memoryview):
        return hashlib.sha256(bytes(value)).hexdigest()
    if isinstance(value, dict | list):
        return json.dumps(value, sort_keys=True, ensure_ascii=False)
    return value


def media_fingerprints(root: Path) -> dict[str, dict]:
    files = {}
    if root.exists():
        for path in sorted(p for p in root.rglob("*") if p.is_file()):
            files[str(path.relative_to(root))] = {"bytes": path.stat().st_size, "sha256": _file_sha256(path)}
    return files


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1024 * 1024):
            digest.update(chunk)
    return digest.hexdigest()


# ---------------------------------------------------------------------------- backup


@dataclass
class BackupResult:
    path: Path
    tables: int
    rows: int
    files: int


def backup(output: Path) -> BackupResult:
    media_root = Path(settings.MEDIA_ROOT)
    with tempfile.TemporaryDirectory(prefix="yilian-backup-") as work:
        work = Path(work)
        database_member = _dump_database(work)
        manifest = {
            "format": FORMAT_VERSION,
            "created": timezone.now().isoformat(),
            "engine": connection.vendor,
            "database_file": database_member,
            "tables": table_fingerprints(),
            "media": media_fingerprints(media_root),
        }
        output.parent.mkdir(parents=True, exist_ok=True)
        partial = output.with_name(output.name + ".part")  # never a truncated file under the final name
        with tarfile.open(partial, "w:gz") as tar:
            _add_bytes(tar, "manifest.json", json.dumps(manifest, ensure_ascii=False, indent=1).encode())
            tar.add(work / database_member, arcname=database_member)
            if media_root.exists():
                tar.add(media_root, arcname="media")
        os.replace(partial, output)
    return BackupResult(output, len(manifest["tables"]), sum(t["rows"] for t in manifest["tables"].values()),
                        len(manifest["media"]))


def _add_bytes(tar: tarfile.TarFile, name: str, data: bytes):
    info = tarfile.TarInfo(name)
    info.size, info.mtime = len(data), int(timezone.now().timestamp())
    tar.addfile(info, io.BytesIO(data))


def _dump_database(work: Path) -> str:
    if connection.vendor == "sqlite":
        target = work / "database.sqlite3"
        connection.ensure_connection()
        with sqlite3.connect(target) as copy:
            connection.connection.backup(copy)  # a consistent copy while the site keeps running
        return target.name
    if connection.vendor == "postgresql":
        target = work / "database.pgdump"
        _run(["pg_dump", "--format=custom", "--no-owner", "--no-privileges", f"--file={target}", _pg_dsn()])
        return target.name
    raise BackupError(f"backups of {connection.vendor} databases are not supported")


def _pg_dsn() -> str:
    params = connection.get_connection_params()
    parts = {"host": params.get("host"), "port": params.get("port"), "user": params.get("user"),
             "password": params.get("password"), "dbname": params.get("dbname") or params.get("database")}
    return " ".join(f"{k}={v}" for k, v in parts.items() if v)


def _run(command: list[str]):
    tool = shutil.which(command[0])
    if tool is None:
        raise BackupError(f"{command[0]} is not installed (Debian package postgresql-client)")
    result = subprocess.run([tool, *command[1:]], capture_output=True, text=True)  # noqa: S603
    if result.returncode != 0:
        raise BackupError(f"{command[0]} failed: {result.stderr.strip()[:2000]}")


# ---------------------------------------------------------------------------- restore


def read_manifest(archive: Path) -> dict:
    try:
        with tarfile.open(archive, "r:gz") as tar:
            member = tar.extractfile("manifest.json")
            if member is None:
                raise BackupError("the archive has no manifest.json")
            manifest = json.load(member)
    except (tarfile.TarError, EOFError, OSError, KeyError, ValueError) as exc:
        raise BackupError(f"{archive} is not a readable Yilian backup ({type(exc).__name__}: {exc})") from exc
    if manifest.get("format") != FORMAT_VERSION:
        raise BackupError(f"unknown backup format {manifest.get('format')!r}")
    return manifest


def restore(archive: Path, *, force: bool = False) -> dict:
    """Put the backup back and verify it; returns the verification report."""
    manifest = read_manifest(archive)
    if manifest["engine"] != connection.vendor:
        raise BackupError(f"the backup is of a {manifest['engine']} database; this site uses {connection.vendor}")
    media_root = Path(settings.MEDIA_ROOT)
    if not force:
        _refuse_if_not_empty(media_root)
    with tempfile.TemporaryDirectory(prefix="yilian-restore-") as work:
        work = Path(work)
        with tarfile.open(archive, "r:gz") as tar:
            tar.extractall(work, filter="data")  # the data filter refuses absolute paths and links out
        _restore_database(work / manifest["database_file"])
        if media_root.exists() and force:
            shutil.rmtree(media_root)
        if (work / "media").exists():
            shutil.copytree(work / "media", media_root, dirs_exist_ok=True)
    return verify(manifest)


def _refuse_if_not_empty(media_root: Path):
    with connection.cursor() as cursor:
        tables = connection.introspection.table_names(cursor)
    if tables:
        raise BackupError(f"the database is not empty ({len(tables)} tables); restore into a new database "
                          "or pass --force to replace it")
    if media_root.exists() and any(media_root.iterdir()):
        raise BackupError(f"{media_root} is not empty; pass --force to replace it")


def _restore_database(dump: Path):
    if connection.vendor == "sqlite":
        target = Path(connection.settings_dict["NAME"])
        connection.close()
        with sqlite3.connect(dump) as source, sqlite3.connect(target) as copy:
            source.backup(copy)  # page by page into the live file, WAL included
        return
    _drop_everything_pg()
    _run(["pg_restore", "--no-owner", "--no-privileges", "--exit-on-error", f"--dbname={_pg_dsn()}", str(dump)])
    connection.close()


def _drop_everything_pg():
    with connection.cursor() as cursor:
        cursor.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public;")


def verify(manifest: dict) -> dict:
    connection.close()
    tables_now = table_fingerprints()
    media_now = media_fingerprints(Path(settings.MEDIA_ROOT))
    bad_tables = sorted(t for t in set(manifest["tables"]) | set(tables_now)
                        if manifest["tables"].get(t) != tables_now.get(t))
    bad_files = sorted(f for f, v in manifest["media"].items() if media_now.get(f) != v)
    return {"tables": len(tables_now), "rows": sum(t["rows"] for t in tables_now.values()),
            "files": len(media_now), "bad_tables": bad_tables, "bad_files": bad_files}
