"""Turning stored files into what pages show: the ECG sheet, PNG previews, downloads, the report PDF.

Uploaded bytes never go back to a browser as something it would render or run: downloads are
attachments with the type their content was checked to be (aECG XML as octet-stream), previews are
PNGs we encode ourselves.
"""

from __future__ import annotations

import io
from urllib.parse import quote

from django.http import FileResponse, HttpResponse
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from . import ecg, imaging, intake
from .models import StudyFile

PREVIEW_KINDS = (StudyFile.Kind.DICOM_IMAGE, StudyFile.Kind.JPEG, StudyFile.Kind.PNG)


def _content(row: StudyFile) -> bytes:
    with row.file.open("rb") as handle:
        return handle.read()


def load_ecg(row: StudyFile) -> ecg.Ecg:
    content = _content(row)
    if row.kind == StudyFile.Kind.AECG:
        return ecg.from_aecg(content)
    return ecg.from_dicom(intake.read_dicom(content))


def ecg_sheet(study, files, title: str = ""):
    """The 12-lead sheet of the study's digital ECG (SVG we generated, safe to inline), or None."""
    row = next((f for f in files if f.is_waveform), None)
    if row is None:
        return None
    return mark_safe(ecg.render_svg(load_ecg(row), title=title))  # noqa: S308 — our own markup, escaped title


def images(files) -> list[StudyFile]:
    return [f for f in files if f.kind in PREVIEW_KINDS]


def dicom_png(row: StudyFile, preset: str, frame: int) -> bytes:
    content = _content(row)
    if row.kind == StudyFile.Kind.DICOM_IMAGE:
        return imaging.render_png(intake.read_dicom(content), preset, frame)
    from PIL import Image

    with Image.open(io.BytesIO(content)) as image:  # re-encoded: never the uploaded bytes
        image = image.convert("RGB") if image.mode not in ("L", "RGB") else image.copy()
    image.thumbnail((imaging.MAX_SIDE, imaging.MAX_SIDE))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def header_fields(files, *, reveal: bool):
    row = next((f for f in files if f.kind in (StudyFile.Kind.DICOM_IMAGE, StudyFile.Kind.DICOM_WAVEFORM)), None)
    if row is None:
        return []
    return imaging.header_fields(intake.read_dicom(_content(row)), reveal=reveal)


def download(row: StudyFile) -> FileResponse:
    response = FileResponse(row.file.open("rb"), as_attachment=True, filename=row.name,
                            content_type=row.content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


def report_pdf(study, report, *, reveal: bool) -> bytes:
    from weasyprint import HTML

    files = list(study.files.all())
    html = render_to_string("telehealth/report_pdf.html", {
        "s": study, "report": report, "ecg_svg": ecg_sheet(study, files), "pictures": _pictures(files),
        "header": header_fields(files, reveal=reveal), "reveal": reveal,
        "title": _("Remote reading report")})
    return HTML(string=html).write_pdf()


PDF_PICTURES = 4


def _pictures(files) -> list[str]:
    """The first images of the study as PNG data URIs for the PDF (DICOM at the acquisition window)."""
    import base64

    return ["data:image/png;base64," + base64.b64encode(dicom_png(row, "default", 0)).decode()
            for row in images(files)[:PDF_PICTURES]]


def pdf_response(pdf: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
    response["X-Content-Type-Options"] = "nosniff"
    return response
