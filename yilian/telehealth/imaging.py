"""DICOM images to PNG with window/level presets (numpy + Pillow), and the header fields worth showing."""

from __future__ import annotations

import io

import numpy as np
from django.utils.translation import gettext_lazy as _

from yilian.core.masking import mask_id, mask_name

# name -> (label, window centre, window width); None means "as the file says" (or the full range)
PRESETS = {
    "default": (_("As acquired"), None, None),
    "soft": (_("Soft tissue"), 40, 400),
    "lung": (_("Lung"), -600, 1500),
    "bone": (_("Bone"), 400, 1800),
    "brain": (_("Brain"), 40, 80),
}
MAX_SIDE = 1024


def _first(value):
    try:
        return float(value[0]) if hasattr(value, "__len__") and not isinstance(value, str) else float(value)
    except (TypeError, ValueError, IndexError):
        return None


def window_of(ds, values: np.ndarray, preset: str) -> tuple[float, float]:
    _label, centre, width = PRESETS.get(preset, PRESETS["default"])
    if centre is None:
        centre, width = _first(ds.get("WindowCenter")), _first(ds.get("WindowWidth"))
    if centre is None or not width:
        low, high = float(values.min()), float(values.max())
        centre, width = (low + high) / 2, max(high - low, 1.0)
    return centre, width


def render_png(ds, preset: str = "default", frame: int = 0) -> bytes:
    """One frame as an 8-bit PNG: modality LUT (Hounsfield units for CT), then the window."""
    from PIL import Image
    from pydicom.pixels import apply_modality_lut

    pixels = ds.pixel_array
    frames = int(ds.get("NumberOfFrames", 1) or 1)
    if frames > 1:
        pixels = pixels[min(max(frame, 0), frames - 1)]
    if pixels.ndim == 3:  # colour (ultrasound, photographs): shown as it is
        image = Image.fromarray(pixels.astype(np.uint8))
    else:
        values = apply_modality_lut(pixels, ds).astype(np.float32)
        centre, width = window_of(ds, values, preset)
        low = centre - width / 2
        scaled = np.clip((values - low) / width, 0.0, 1.0) * 255.0
        if str(ds.get("PhotometricInterpretation", "")) == "MONOCHROME1":
            scaled = 255.0 - scaled
        image = Image.fromarray(scaled.astype(np.uint8), mode="L")
    image.thumbnail((MAX_SIDE, MAX_SIDE))
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=False)
    return out.getvalue()


def header_fields(ds, *, reveal: bool) -> list[tuple[str, str]]:
    """Modality, body part, study date … and the patient's identifiers, masked unless ``reveal``."""
    name, patient_id = str(ds.get("PatientName", "") or ""), str(ds.get("PatientID", "") or "")
    rows = [(_("Modality"), ds.get("Modality", "")), (_("Body part"), ds.get("BodyPartExamined", "")),
            (_("Study date"), ds.get("StudyDate", "")), (_("Description"), ds.get("StudyDescription", "")),
            (_("Size"), f"{ds.get('Columns')} × {ds.get('Rows')}" if "Rows" in ds else ""),
            (_("Patient name in the file"), name if reveal else mask_name(name)),
            (_("Patient ID in the file"), patient_id if reveal else mask_id(patient_id))]
    return [(label, str(value)) for label, value in rows if str(value).strip()]
