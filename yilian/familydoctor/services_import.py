"""Resident imports in the worker: the confirmed sheet is queued, the worker saves it with progress.

The job row is the only place the page reads; the sheet waits in the private directory (full ID
numbers) and is deleted once the job has run, whether it succeeded or not.
"""

from __future__ import annotations

import logging
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from . import imports
from .models_care import ImportJob

logger = logging.getLogger(__name__)


def pending_path(token: str) -> Path:
    """Uploaded sheets wait for confirmation outside MEDIA_ROOT: they hold full ID numbers."""
    return Path(settings.DATA_DIR) / "private" / "resident-imports" / f"{token}.xlsx"


def import_job_start(*, by, clinic, token: str) -> ImportJob:
    """Queue the import of a previewed sheet; confirming the same sheet twice returns the first job."""
    job, created = ImportJob.objects.get_or_create(token=token, defaults={
        "requested_by": by, "clinic": clinic, "message": _("Waiting for the worker…")})
    if created:
        from .tasks import run_resident_import

        transaction.on_commit(lambda: run_resident_import.enqueue(job.pk))
    return job


def _update(job_id: int, progress: int, message: str, **fields):
    ImportJob.objects.filter(pk=job_id).update(progress=progress, message=message, **fields)


def import_job_run(job_id: int):
    """The worker's part. A job runs once: a retry of a claimed job is a no-op."""
    claimed = ImportJob.objects.filter(pk=job_id, status=ImportJob.Status.QUEUED).update(
        status=ImportJob.Status.RUNNING)
    if not claimed:
        return
    job = ImportJob.objects.select_related("requested_by", "clinic").get(pk=job_id)
    path = pending_path(job.token)
    with translation.override(settings.LANGUAGE_CODE):
        try:
            def progress(done, total):
                _update(job.pk, min(99, int(done * 100 / max(total, 1))),
                        _("%(done)s of %(total)s rows") % {"done": done, "total": total})

            report = imports.import_residents(job.requested_by, job.clinic, path.read_bytes(), commit=True,
                                              progress=progress)
        except Exception:
            logger.exception("resident import %s failed", job.pk)
            _update(job.pk, job.progress, _("The import failed. Please try again or tell the administrator."),
                    status=ImportJob.Status.FAILED, finished_at=timezone.now())
        else:
            result = {"errors": report.errors, "rows": report.rows, "new": report.new, "updated": report.updated,
                      "unchanged": report.unchanged, "households": report.households_created,
                      "tags": report.tags_added, "seconds": round(report.seconds, 1)}
            _update(job.pk, 100, _("Done.") if report.ok else _("Nothing was saved: the sheet has errors."),
                    status=ImportJob.Status.DONE if report.ok else ImportJob.Status.FAILED, result=result,
                    finished_at=timezone.now())
        finally:
            path.unlink(missing_ok=True)
