"""Uploads are judged by content: mismatches, damage, missing data and size are refused, nothing stored."""

import pytest
from django.core.exceptions import ValidationError

from tests.telehealth.factories import PDF, aecg, ct, dicom_ecg, png, study_kwargs, upload
from yilian.telehealth import intake, services
from yilian.telehealth.demo import bundled_file
from yilian.telehealth.models import Study, StudyFile


@pytest.mark.parametrize(("name", "content", "modality", "kind"), [
    ("ecg.dcm", dicom_ecg(), "ecg", StudyFile.Kind.DICOM_WAVEFORM),
    ("ecg", dicom_ecg(), "ecg", StudyFile.Kind.DICOM_WAVEFORM),  # no extension: content decides
    ("ecg.xml", aecg(), "ecg", StudyFile.Kind.AECG),
    ("print.pdf", PDF, "ecg", StudyFile.Kind.PDF),
    ("print.png", png(), "ecg", StudyFile.Kind.PNG),
    ("ct.dcm", ct(), "imaging", StudyFile.Kind.DICOM_IMAGE),
    ("x.png", png(), "imaging", StudyFile.Kind.PNG),
])
def test_accepted_inputs(name, content, modality, kind):
    assert intake.inspect(upload(name, content), modality).kind == kind


@pytest.mark.parametrize(("name", "content", "modality", "message"), [
    ("ecg.pdf", png(), "ecg", "the name says .pdf but the content is a PNG image"),
    ("scan.png", b"<script>alert(1)</script>", "imaging", "not a PDF, JPEG, PNG, DICOM or HL7 aECG file"),
    ("ecg.dcm", dicom_ecg()[:3000], "ecg", "damaged or truncated"),
    ("ct.dcm", ct()[:-2000], "imaging", "cannot be decoded"),
    ("plan.dcm", bundled_file("rtplan.dcm"), "imaging", "neither an image nor a waveform"),
    ("ecg.xml", aecg(drop=("V5", "V6")), "ecg", "lacks leads V5, V6"),
    ("ct.dcm", ct(), "ecg", "cannot be sent as ECG"),
    ("ecg.dcm", dicom_ecg(), "imaging", "cannot be sent as Imaging"),
    ("x.png", png()[:40], "imaging", "damaged or incomplete"),
    ("x.pdf", b"%PDF-1.4\nhalf a file", "ecg", "incomplete"),
])
def test_refused_inputs(name, content, modality, message):
    with pytest.raises(ValidationError) as caught:
        intake.inspect(upload(name, content), modality)
    assert message in caught.value.message_dict["files"][0]


def test_oversize_is_refused(settings):
    settings.YILIAN_TELEHEALTH_MAX_UPLOAD_MB = 0
    with pytest.raises(ValidationError, match="larger than 0 MB"):
        intake.inspect(upload("ecg.dcm", dicom_ecg()), "ecg")


@pytest.mark.django_db
def test_one_bad_file_stores_nothing(net, settings):
    files = [upload("a.dcm", ct()), upload("b.dcm", ct()[:-3000])]
    with pytest.raises(ValidationError) as caught:
        services.study_create(**study_kwargs(net, modality="imaging", files=files))
    assert "b.dcm" in caught.value.message_dict["files"][0]
    assert not Study.objects.exists() and not StudyFile.objects.exists()
    assert not (settings.MEDIA_ROOT / "telehealth").exists()


@pytest.mark.django_db
def test_a_failure_inside_the_transaction_leaves_no_file(net, settings, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(services.audit, "record", broken)  # fails after the files were written
    with pytest.raises(RuntimeError):
        services.study_create(**study_kwargs(net))
    assert not Study.objects.exists()
    assert not [p for p in (settings.MEDIA_ROOT / "telehealth").rglob("*") if p.is_file()]


def test_dicom_ecg_with_missing_leads_is_refused():
    import io

    import numpy as np
    from pydicom.sequence import Sequence

    ds = intake.read_dicom(dicom_ecg())
    group = ds.WaveformSequence[0]
    raw = np.frombuffer(group.WaveformData, dtype="<i2").reshape(-1, int(group.NumberOfWaveformChannels))
    group.WaveformData = np.ascontiguousarray(raw[:, :6]).tobytes()  # the limb leads only
    group.NumberOfWaveformChannels = 6
    group.ChannelDefinitionSequence = Sequence(list(group.ChannelDefinitionSequence)[:6])
    ds.WaveformSequence = Sequence([group])
    out = io.BytesIO()
    ds.save_as(out)
    with pytest.raises(ValidationError, match="lacks leads V1, V2, V3, V4, V5, V6"):
        intake.inspect(upload("ecg.dcm", out.getvalue()), "ecg")
