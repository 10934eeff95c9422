"""Imports in the worker: the confirmed sheet is queued, the worker saves it with progress.

Residents and contracts go the same way: the page previews the sheet (nothing written), keeps it
in the private directory (full ID numbers) under a token, and on confirmation queues one job per
token; the worker checks the sheet again, writes it all or nothing and deletes it, whether the
job succeeded or not. The job row is the only place the page reads.
"""

from __future__ import annotations

import logging
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from . import imports, imports_contracts
from .models_care import ImportJob

logger = logging.getLogger(__name__)
Kind = ImportJob.Kind
_DIRECTORIES = {Kind.RESIDENTS: "resident-imports", Kind.CONTRACTS: "contract-imports"}


def pending_path(token: str, kind: str = Kind.RESIDENTS) -> Path:
    """Uploaded sheets wait for confirmation outside MEDIA_ROOT: they hold full ID numbers."""
    return Path(settings.DATA_DIR) / "private" / _DIRECTORIES[kind] / f"{token}.xlsx"


def import_job_start(*, by, clinic, token: str, kind: str = Kind.RESIDENTS) -> ImportJob:
    """Queue the import of a previewed sheet; confirming the same sheet twice returns the first job."""
    job, created = ImportJob.objects.get_or_create(token=token, defaults={
        "requested_by": by, "clinic": clinic, "kind": kind, "message": _("Waiting for the worker…")})
    if created:
        from .tasks import run_import

        transaction.on_commit(lambda: run_import.enqueue(job.pk))
    return job


def _update(job_id: int, progress: int, message: str, **fields):
    ImportJob.objects.filter(pk=job_id).update(progress=progress, message=message, **fields)


def _run_residents(job, content: bytes, progress):
    report = imports.import_residents(job.requested_by, job.clinic, content, commit=True, progress=progress)
    return report, {"errors": report.errors, "more_errors": report.more_errors, "rows": report.rows,
                    "new": report.new, "updated": report.updated, "unchanged": report.unchanged,
                    "households": report.households_created, "tags": report.tags_added,
                    "seconds": round(report.seconds, 1)}


def _run_contracts(job, content: bytes, progress):
    report = imports_contracts.import_contracts(job.requested_by, job.clinic, content, commit=True,
                                                progress=progress)
    return report, {"errors": report.errors, "more_errors": report.more_errors, "rows": report.rows,
                    "new": report.new, "unchanged": report.unchanged, "seconds": round(report.seconds, 1)}


RUNNERS = {Kind.RESIDENTS: _run_residents, Kind.CONTRACTS: _run_contracts}


def import_job_run(job_id: int):
    """The worker's part. A job runs once: a retry of a claimed job is a no-op."""
    claimed = ImportJob.objects.filter(pk=job_id, status=ImportJob.Status.QUEUED).update(
        status=ImportJob.Status.RUNNING)
    if not claimed:
        return
    job = ImportJob.objects.select_related("requested_by", "clinic").get(pk=job_id)
    path = pending_path(job.token, job.kind)
    with translation.override(settings.LANGUAGE_CODE):
        try:
            def progress(done, total, phase="check"):
                """Checking the rows is the first half of the bar, saving them the second."""
                share = done / max(total, 1)
                percent = int(share * 50) if phase == "check" else 50 + int(share * 50)
                words = (_("Checking: %(done)s of %(total)s rows") if phase == "check"
                         else _("Saving: %(done)s of %(total)s rows"))
                _update(job.pk, min(99, percent), words % {"done": done, "total": total})

            report, result = RUNNERS[job.kind](job, path.read_bytes(), progress)
        except Exception:
            logger.exception("%s %s failed", job.kind, job.pk)
            _update(job.pk, job.progress, _("The import failed. Please try again or tell the administrator."),
                    status=ImportJob.Status.FAILED, finished_at=timezone.now())
        else:
            _update(job.pk, 100, _("Done.") if report.ok else _("Nothing was saved: the sheet has errors."),
                    status=ImportJob.Status.DONE if report.ok else ImportJob.Status.FAILED, result=result,
                    finished_at=timezone.now())
        finally:
            path.unlink(missing_ok=True)
