"""Checking uploaded files by their content (never by their name) before anything is stored.

``inspect(upload, modality)`` reads the bytes, decides what they are (PDF, JPEG, PNG, DICOM
waveform, DICOM image, HL7 aECG), parses them far enough to know they are whole, and returns a
``Checked`` file, or raises ValidationError with a message for the user.
"""

from __future__ import annotations

import hashlib
import io
import os
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from . import ecg
from .models import Study, StudyFile

Kind = StudyFile.Kind
MAGIC = ((b"%PDF-", Kind.PDF), (b"\xff\xd8\xff", Kind.JPEG), (b"\x89PNG\r\n\x1a\n", Kind.PNG))
# what a file name promises; a name that promises something else than the content is refused
EXTENSIONS = {"pdf": {Kind.PDF}, "jpg": {Kind.JPEG}, "jpeg": {Kind.JPEG}, "png": {Kind.PNG},
              "dcm": {Kind.DICOM_IMAGE, Kind.DICOM_WAVEFORM}, "dicom": {Kind.DICOM_IMAGE, Kind.DICOM_WAVEFORM},
              "xml": {Kind.AECG}}
ACCEPTED = {
    Study.Modality.ECG: {Kind.PDF, Kind.JPEG, Kind.PNG, Kind.DICOM_WAVEFORM, Kind.AECG},
    Study.Modality.IMAGING: {Kind.JPEG, Kind.PNG, Kind.DICOM_IMAGE},
}
MAX_FILES = 200  # a multi-file CT series


def max_upload_bytes() -> int:
    """The setting, else the environment variable of the same name, else 50 MB."""
    megabytes = getattr(settings, "YILIAN_TELEHEALTH_MAX_UPLOAD_MB", None)
    if megabytes is None:
        megabytes = os.environ.get("YILIAN_TELEHEALTH_MAX_UPLOAD_MB", "50")
    return int(megabytes) * 1024 * 1024


@dataclass
class Checked:
    upload: object
    name: str
    kind: str
    size: int
    sha256: str
    summary: dict = field(default_factory=dict)


def _fail(name: str, message: str):
    raise ValidationError({"files": _("%(name)s: %(problem)s") % {"name": name, "problem": message}})


def sniff(content: bytes) -> str | None:
    for signature, kind in MAGIC:
        if content.startswith(signature):
            return kind
    if len(content) > 132 and content[128:132] == b"DICM":
        return "dicom"
    head = content[:512].lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith(b"<?xml") or head.startswith(b"<AnnotatedECG"):
        return Kind.AECG
    return None


def inspect(upload, modality: str) -> Checked:
    name = (getattr(upload, "name", "") or "file")[:150]
    if upload.size > max_upload_bytes():
        _fail(name, _("larger than %(limit)s MB.") % {"limit": max_upload_bytes() // (1024 * 1024)})
    upload.seek(0)
    content = upload.read()
    upload.seek(0)
    kind = sniff(content)
    if kind is None:
        _fail(name, _("not a PDF, JPEG, PNG, DICOM or HL7 aECG file."))
    summary = {}
    if kind == "dicom":
        kind, summary = _dicom(name, content)
    elif kind == Kind.AECG:
        summary = _aecg(name, content)
    elif kind == Kind.PDF:
        _pdf(name, content)
    else:
        summary = _picture(name, content)
    ext = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if ext in EXTENSIONS and kind not in EXTENSIONS[ext]:
        _fail(name, _("the name says .%(ext)s but the content is a %(kind)s.") % {
            "ext": ext, "kind": Kind(kind).label})
    if kind not in ACCEPTED[modality]:
        _fail(name, _("a %(kind)s cannot be sent as %(modality)s.") % {
            "kind": Kind(kind).label, "modality": Study.Modality(modality).label})
    # the bytes are not kept: a 200-file series would otherwise sit in memory until it is stored
    return Checked(upload=upload, name=name, kind=kind, size=len(content),
                   sha256=hashlib.sha256(content).hexdigest(), summary=summary)


def _pdf(name, content):
    if b"%%EOF" not in content[-1024:]:
        _fail(name, _("the PDF is incomplete (truncated upload?)."))


def _picture(name, content) -> dict:
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(content)) as image:
            image.load()  # decodes every byte: a truncated file fails here
            return {"width": image.width, "height": image.height}
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        _fail(name, _("the image is damaged or incomplete."))


def _aecg(name, content) -> dict:
    try:
        return {"ecg": ecg.from_aecg(content).summary()}
    except ecg.EcgError as exc:
        _fail(name, str(exc))


def read_dicom(content: bytes):
    import pydicom
    from pydicom.errors import InvalidDicomError

    try:
        return pydicom.dcmread(io.BytesIO(content))
    except (InvalidDicomError, EOFError, OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise ValidationError(_("the DICOM file is damaged or truncated.")) from exc


DICOM_FIELDS = (("Modality", "modality"), ("BodyPartExamined", "body_part"), ("StudyDate", "study_date"),
                ("StudyDescription", "description"), ("StudyInstanceUID", "study_uid"),
                ("SeriesInstanceUID", "series_uid"), ("Manufacturer", "manufacturer"))


def dicom_header(ds) -> dict:
    return {key: str(ds.get(tag, "") or "") for tag, key in DICOM_FIELDS}


def _dicom(name, content) -> tuple[str, dict]:
    try:
        ds = read_dicom(content)
    except ValidationError as exc:
        _fail(name, exc.messages[0])
    header = dicom_header(ds)
    if "WaveformSequence" in ds:
        try:
            return Kind.DICOM_WAVEFORM, {**header, "ecg": ecg.from_dicom(ds).summary()}
        except ecg.EcgError as exc:
            _fail(name, str(exc))
        except Exception:  # noqa: BLE001 — a damaged waveform raises anything from pydicom or numpy
            _fail(name, _("the DICOM waveform is damaged or truncated."))
    if "PixelData" not in ds:
        _fail(name, _("the DICOM file holds neither an image nor a waveform."))
    if _short_native_pixels(ds):
        _fail(name, _("the DICOM image cannot be decoded (damaged, truncated or an unsupported compression)."))
    try:
        ds.pixel_array  # noqa: B018 — decoding is the check
    except Exception:  # noqa: BLE001 — truncated pixel data, unknown transfer syntax …
        _fail(name, _("the DICOM image cannot be decoded (damaged, truncated or an unsupported compression)."))
    return Kind.DICOM_IMAGE, {**header, "rows": int(ds.get("Rows", 0)), "columns": int(ds.get("Columns", 0)),
                              "frames": int(ds.get("NumberOfFrames", 1) or 1)}


def _short_native_pixels(ds) -> bool:
    """Uncompressed pixel data shorter than rows × columns × frames × samples × bytes: a cut-off upload
    (pydicom would pad it with zeros and show a black band)."""
    syntax = getattr(getattr(ds, "file_meta", None), "TransferSyntaxUID", None)
    if syntax is None or syntax.is_compressed:
        return False
    try:
        expected = (int(ds.Rows) * int(ds.Columns) * int(ds.get("NumberOfFrames", 1) or 1)
                    * int(ds.get("SamplesPerPixel", 1)) * int(ds.BitsAllocated) + 7) // 8
    except (AttributeError, TypeError, ValueError):
        return True
    return len(ds.PixelData) < expected


def inspect_all(uploads, modality: str) -> list[Checked]:
    """Every file checked; all problems reported together; nothing is stored here."""
    uploads = list(uploads)
    if not uploads:
        raise ValidationError({"files": _("Attach at least one file.")})
    if len(uploads) > MAX_FILES:
        raise ValidationError({"files": _("At most %(count)s files per study.") % {"count": MAX_FILES}})
    checked, errors = [], []
    for upload in uploads:
        try:
            checked.append(inspect(upload, modality))
        except ValidationError as exc:
            errors.extend(exc.message_dict["files"])
    if errors:
        raise ValidationError({"files": errors})
    waveforms = [c for c in checked if c.kind in (Kind.DICOM_WAVEFORM, Kind.AECG)]
    if len(waveforms) > 1:
        raise ValidationError({"files": _("Send one digital ECG per study.")})
    return checked
