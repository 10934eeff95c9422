"""12-lead ECG: read DICOM waveforms and HL7 aECG XML into one shape, draw the standard sheet as SVG.

The sheet follows paper ECG conventions: 25 mm/s, 10 mm/mV, 1 mm pink grid with a bolder 5 mm
grid, a 1 mV × 200 ms calibration pulse at the start of every row, and the 3 × 4 layout (each
column 2.5 s of the simultaneous recording) with a 10 s lead II rhythm strip underneath.
Coordinates of the SVG are millimetres, so the same drawing prints at true scale in the PDF.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
from django.utils.translation import gettext as _

LEADS = ("I", "II", "III", "aVR", "aVL", "aVF", "V1", "V2", "V3", "V4", "V5", "V6")
LAYOUT = (("I", "aVR", "V1", "V4"), ("II", "aVL", "V2", "V5"), ("III", "aVF", "V3", "V6"))
RHYTHM_LEAD = "II"
MM_PER_S, MM_PER_MV = 25.0, 10.0
COLUMN_S = 2.5
ROW_MM = 30.0
LEFT_MM, RIGHT_MM, TOP_MM, BOTTOM_MM = 10.0, 5.0, 4.0, 6.0
MAX_DRAWN_HZ = 500  # 0.05 mm per point at 25 mm/s: finer than the pen of a paper machine
MIN_SECONDS = 2.5


class EcgError(ValueError):
    """The recording cannot be read as a 12-lead ECG; the message is shown to the user."""


@dataclass
class Ecg:
    sampling_hz: float
    leads: dict[str, np.ndarray] = field(default_factory=dict)  # millivolts

    @property
    def seconds(self) -> float:
        return min(len(v) for v in self.leads.values()) / self.sampling_hz if self.leads else 0.0

    def summary(self) -> dict:
        return {"leads": [lead for lead in LEADS if lead in self.leads], "sampling_hz": self.sampling_hz,
                "seconds": round(self.seconds, 2), "strip": strip_path(self)}


# ----------------------------------------------------------------------------- lead names


_LEAD_ALIASES = {"AVR": "aVR", "AVL": "aVL", "AVF": "aVF"}


def lead_name(label: str) -> str | None:
    """'Lead I (Einthoven)', 'MDC_ECG_LEAD_AVR', 'V1' → the standard name, or None."""
    text = re.sub(r"\(.*?\)", "", label or "").upper()
    text = text.replace("MDC_ECG_LEAD_", "").replace("LEAD", "").strip(" _-")
    text = _LEAD_ALIASES.get(text, text)
    return text if text in LEADS else None


def complete(ecg: Ecg) -> Ecg:
    """Derive the limb leads a machine left out (III, aVR, aVL, aVF from I and II), then insist on all 12."""
    leads = ecg.leads
    if "I" in leads and "II" in leads:
        i, ii = leads["I"], leads["II"]
        leads.setdefault("III", ii - i)
        leads.setdefault("aVR", -(i + ii) / 2)
        leads.setdefault("aVL", i - ii / 2)
        leads.setdefault("aVF", ii - i / 2)
    missing = [lead for lead in LEADS if lead not in leads]
    if missing:
        raise EcgError(_("The ECG lacks leads %(leads)s; a 12-lead recording is needed.") % {
            "leads": ", ".join(missing)})
    if ecg.seconds < MIN_SECONDS:
        raise EcgError(_("The ECG is only %(seconds)s s long; at least %(minimum)s s are needed.") % {
            "seconds": round(ecg.seconds, 1), "minimum": MIN_SECONDS})
    for name in LEADS:
        if not np.all(np.isfinite(leads[name])):
            raise EcgError(_("Lead %(lead)s contains unreadable samples.") % {"lead": name})
    return ecg


# ----------------------------------------------------------------------------- DICOM


def from_dicom(ds) -> Ecg:
    """The first multiplex group of a DICOM waveform (the rhythm, not the median beat), in mV."""
    groups = list(getattr(ds, "WaveformSequence", []) or [])
    if not groups:
        raise EcgError(_("The DICOM file holds no waveform."))
    index = next((n for n, g in enumerate(groups) if str(g.get("MultiplexGroupLabel", "")).upper() == "RHYTHM"), 0)
    group = groups[index]
    try:
        samples = ds.waveform_array(index)  # sensitivity and baseline applied
    except Exception as exc:  # noqa: BLE001 — pydicom raises many kinds on a damaged waveform
        raise EcgError(_("The DICOM waveform cannot be read.")) from exc
    ecg = Ecg(sampling_hz=float(group.SamplingFrequency))
    for n, channel in enumerate(group.ChannelDefinitionSequence):
        source = channel.ChannelSourceSequence[0] if channel.get("ChannelSourceSequence") else None
        name = lead_name(str(source.CodeMeaning if source is not None else channel.get("ChannelLabel", "")))
        if name is None or n >= samples.shape[1]:
            continue
        ecg.leads[name] = samples[:, n].astype(float) * _to_mv(channel)
    return complete(ecg)


def _to_mv(channel) -> float:
    units = channel.get("ChannelSensitivityUnitsSequence")
    unit = str(units[0].CodeValue) if units else "uV"
    return {"uV": 0.001, "mV": 1.0, "V": 1000.0}.get(unit, 0.001)


# ----------------------------------------------------------------------------- HL7 aECG


def from_aecg(content: bytes) -> Ecg:
    """HL7 v3 annotated ECG (FDA aECG): sequences with an MDC lead code and an SLIST_PQ of digits."""
    from defusedxml import ElementTree
    from defusedxml.common import DefusedXmlException

    try:
        root = ElementTree.fromstring(content)
    except (ElementTree.ParseError, DefusedXmlException) as exc:
        raise EcgError(_("The aECG file is not well-formed XML.")) from exc
    if _local(root.tag) != "AnnotatedECG":
        raise EcgError(_("The XML file is not an HL7 annotated ECG."))
    hz, leads = None, {}
    for sequence in root.iter():
        if _local(sequence.tag) != "sequence":
            continue
        code = next((c for c in sequence if _local(c.tag) == "code"), None)
        value = next((c for c in sequence if _local(c.tag) == "value"), None)
        if code is None or value is None:
            continue
        code_text = code.get("code", "")
        if code_text.startswith("TIME"):
            hz = _sampling_hz(value) or hz
        elif (name := lead_name(code_text)) is not None and name not in leads:
            leads[name] = _slist_mv(value)
    if not hz:
        raise EcgError(_("The aECG file gives no sampling rate."))
    return complete(Ecg(sampling_hz=hz, leads=leads))


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _sampling_hz(value) -> float | None:
    increment = next((c for c in value if _local(c.tag) == "increment"), None)
    try:
        step = float(increment.get("value")) * (0.001 if increment.get("unit") == "ms" else 1.0)
    except (AttributeError, TypeError, ValueError):
        return None
    return 1.0 / step if step > 0 else None


def _slist_mv(value) -> np.ndarray:
    parts = {_local(c.tag): c for c in value}
    try:
        origin = float(parts["origin"].get("value", 0))
        scale = float(parts["scale"].get("value", 1))
        unit = parts["scale"].get("unit", "uV")
        digits = np.array(parts["digits"].text.split(), dtype=float)
    except (KeyError, AttributeError, TypeError, ValueError) as exc:
        raise EcgError(_("A lead of the aECG file cannot be read.")) from exc
    return (digits * scale + origin) * {"uV": 0.001, "mV": 1.0, "V": 1000.0}.get(unit, 0.001)


def aecg_xml(ecg: Ecg) -> bytes:
    """Write an ECG as a minimal HL7 aECG document (for the demo and the tests)."""
    step = 1.0 / ecg.sampling_hz
    sequences = [f'<component><sequence><code code="TIME_ABSOLUTE" codeSystem="2.16.840.1.113883.5.4"/>'
                 f'<value xsi:type="GLIST_TS"><head value="20260101000000.000"/>'
                 f'<increment value="{step:g}" unit="s"/></value></sequence></component>']
    for name, values in ecg.leads.items():
        digits = " ".join(str(int(round(v * 1000 / 5))) for v in values)
        sequences.append(f'<component><sequence><code code="MDC_ECG_LEAD_{name.upper()}" '
                         f'codeSystem="2.16.840.1.113883.6.24"/><value xsi:type="SLIST_PQ">'
                         f'<origin value="0" unit="uV"/><scale value="5" unit="uV"/>'
                         f'<digits>{digits}</digits></value></sequence></component>')
    return ('<?xml version="1.0" encoding="UTF-8"?>'
            '<AnnotatedECG xmlns="urn:hl7-org:v3" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
            '<component><series><code code="RHYTHM" codeSystem="2.16.840.1.113883.5.4"/><component><sequenceSet>'
            + "".join(sequences) + "</sequenceSet></component></series></component></AnnotatedECG>").encode()


# ----------------------------------------------------------------------------- the sheet


def sheet_size() -> tuple[float, float]:
    width = LEFT_MM + 4 * COLUMN_S * MM_PER_S + RIGHT_MM
    height = TOP_MM + 4 * ROW_MM + BOTTOM_MM
    return width, height


def _grid(width: float, height: float) -> str:
    fine, bold = [], []
    for x in range(int(width) + 1):
        (bold if x % 5 == 0 else fine).append(f"M{x} 0V{height:g}")
    for y in range(int(height) + 1):
        (bold if y % 5 == 0 else fine).append(f"M0 {y}H{width:g}")
    return (f'<path d="{"".join(fine)}" stroke="#f6c6c6" stroke-width="0.1" fill="none"/>'
            f'<path d="{"".join(bold)}" stroke="#e88a8a" stroke-width="0.2" fill="none"/>')


def _trace(values: np.ndarray, hz: float, x0: float, baseline: float) -> str:
    step = max(1, int(round(hz / MAX_DRAWN_HZ)))
    values = values[::step]
    xs = x0 + np.arange(len(values)) * (step / hz) * MM_PER_S
    ys = baseline - np.clip(values, -ROW_MM / MM_PER_MV, ROW_MM / MM_PER_MV) * MM_PER_MV
    points = np.column_stack((xs, ys)).round(2)
    return "M" + "L".join(f"{x:g} {y:g}" for x, y in points.tolist())


def _calibration(baseline: float) -> str:
    """1 mV high, 200 ms wide, drawn left of the trace."""
    x, up = 2.0, MM_PER_MV
    return f"M{x} {baseline:g}h1v{-up:g}h{0.2 * MM_PER_S:g}v{up:g}h1"


STRIP_SECONDS, STRIP_HZ = 5.0, 100


def strip_path(ecg: Ecg) -> str:
    """A thumbnail of lead II (5 s at 100 Hz) for the worklist, in the sheet's mm: 125 × 30."""
    lead = ecg.leads.get(RHYTHM_LEAD)
    if lead is None:
        return ""
    step = max(1, int(round(ecg.sampling_hz / STRIP_HZ)))
    values = lead[:int(STRIP_SECONDS * ecg.sampling_hz)]
    # the strongest deflection of each window, so the QRS peaks survive the thinning
    windows = values[:len(values) // step * step].reshape(-1, step)
    peaks = windows[np.arange(len(windows)), np.abs(windows).argmax(axis=1)]
    return _trace(peaks, ecg.sampling_hz / step, 0.0, ROW_MM / 2)


def render_svg(ecg: Ecg, *, title: str = "") -> str:
    """The 12-lead sheet as an SVG document (width and height in mm)."""
    width, height = sheet_size()
    hz = ecg.sampling_hz
    column_samples = int(COLUMN_S * hz)
    paths, labels, ticks = [], [], []
    for row, names in enumerate(LAYOUT):
        baseline = TOP_MM + row * ROW_MM + ROW_MM / 2
        paths.append(_calibration(baseline))
        for col, name in enumerate(names):
            x0 = LEFT_MM + col * COLUMN_S * MM_PER_S
            segment = ecg.leads[name][col * column_samples:(col + 1) * column_samples]
            if len(segment):
                paths.append(_trace(segment, hz, x0, baseline))
            labels.append(f'<text x="{x0 + 1:g}" y="{baseline - 9:g}">{name}</text>')
            if col:
                ticks.append(f"M{x0:g} {baseline - 4:g}v8")
    baseline = TOP_MM + 3 * ROW_MM + ROW_MM / 2
    paths.append(_calibration(baseline))
    paths.append(_trace(ecg.leads[RHYTHM_LEAD][:int(4 * COLUMN_S * hz)], hz, LEFT_MM, baseline))
    labels.append(f'<text x="{LEFT_MM + 1:g}" y="{baseline - 9:g}">{RHYTHM_LEAD}</text>')
    footer = f"25 mm/s · 10 mm/mV · {hz:g} Hz"
    if title:
        footer = f"{_escape(title)} · {footer}"
    return (f'<svg xmlns="http://www.w3.org/2000/svg" class="ecg-sheet" viewBox="0 0 {width:g} {height:g}" '
            f'width="{width:g}mm" height="{height:g}mm" role="img" aria-label="12-lead ECG">'
            f'<rect width="{width:g}" height="{height:g}" fill="#fffafa"/>{_grid(width, height)}'
            f'<path d="{"".join(ticks)}" stroke="#000" stroke-width="0.3" fill="none"/>'
            f'<path d="{"".join(paths)}" stroke="#000" stroke-width="0.25" fill="none" stroke-linejoin="round"/>'
            f'<g font-family="sans-serif" font-size="3" fill="#000">{"".join(labels)}'
            f'<text x="{LEFT_MM:g}" y="{height - 3:g}">{footer}</text></g></svg>')


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
