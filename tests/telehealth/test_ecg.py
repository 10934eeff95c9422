"""Reading 12-lead ECGs (DICOM waveform, HL7 aECG) and drawing the standard sheet."""

import re

import numpy as np
import pytest

from tests.telehealth.factories import aecg, dicom_ecg
from yilian.telehealth import ecg, intake


def dicom_record():
    return ecg.from_dicom(intake.read_dicom(dicom_ecg()))


def test_dicom_waveform_has_twelve_leads_in_millivolts():
    record = dicom_record()
    assert list(record.leads) == list(ecg.LEADS) or set(record.leads) == set(ecg.LEADS)
    assert record.sampling_hz == 1000 and record.seconds == 10
    peak = max(float(np.abs(v).max()) for v in record.leads.values())
    assert 0.5 < peak < 5  # millivolts, not microvolts


def test_aecg_round_trip_keeps_the_signal():
    original = dicom_record()
    parsed = ecg.from_aecg(aecg())
    assert parsed.sampling_hz == pytest.approx(1000)
    # stored as 5 µV steps: the signal survives within half a step
    assert np.abs(parsed.leads["V2"] - original.leads["V2"]).max() <= 0.0026


def test_limb_leads_are_derived_from_i_and_ii():
    parsed = ecg.from_aecg(aecg(drop=("III", "aVR", "aVL", "aVF")))
    np.testing.assert_allclose(parsed.leads["III"], parsed.leads["II"] - parsed.leads["I"])


def test_missing_precordial_leads_are_refused():
    with pytest.raises(ecg.EcgError, match="V3, V4"):
        ecg.from_aecg(aecg(drop=("V3", "V4")))


def test_not_an_aecg_and_hostile_xml_are_refused():
    with pytest.raises(ecg.EcgError):
        ecg.from_aecg(b"<?xml version='1.0'?><html/>")
    bomb = b'<?xml version="1.0"?><!DOCTYPE a [<!ENTITY x "xxxxxxxx">]><AnnotatedECG>&x;</AnnotatedECG>'
    with pytest.raises(ecg.EcgError):
        ecg.from_aecg(bomb)


def test_sheet_is_at_paper_scale():
    svg = ecg.render_svg(dicom_record(), title="<b>x</b>")
    width, height = ecg.sheet_size()
    assert f'width="{width:g}mm"' in svg and f'viewBox="0 0 {width:g} {height:g}"' in svg
    # 12 lead labels plus the rhythm strip
    labels = re.findall(r"<text [^>]*>([^<]+)</text>", svg)
    assert set(ecg.LEADS) <= set(labels) and labels.count("II") == 2
    assert "25 mm/s · 10 mm/mV" in svg and "&lt;b&gt;" in svg and "<b>" not in svg
    # four calibration pulses: 10 mm up, 5 mm (200 ms) across
    assert svg.count("h1v-10h5v10h1") == 4
    # the grid: 1 mm pink lines, bolder every 5 mm
    assert 'stroke="#f6c6c6"' in svg and 'stroke="#e88a8a"' in svg


def test_one_millivolt_is_ten_millimetres():
    record = ecg.Ecg(sampling_hz=500, leads={name: np.zeros(5000) for name in ecg.LEADS})
    record.leads["I"][:] = 1.0
    svg = ecg.render_svg(record)
    baseline = ecg.TOP_MM + ecg.ROW_MM / 2
    assert f"M{ecg.LEFT_MM:g} {baseline - 10:g}" in svg


def test_worklist_strip_keeps_the_qrs_peaks():
    record = dicom_record()
    path = ecg.strip_path(record)
    ys = [float(point.split()[1]) for point in path[1:].split("L")]
    assert len(ys) == 500  # 5 s at 100 Hz
    tallest = float(record.leads["II"][:5000].max())
    assert min(ys) == pytest.approx(15 - tallest * 10, abs=0.01)
