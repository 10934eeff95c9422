"""The telehealth test network: the referral tests' township clinic and hub, joined in an alliance,
plus the bundled pydicom files and helpers to upload them."""

import io
from functools import cache

from django.core.files.uploadedfile import SimpleUploadedFile

from tests.referrals.factories import make_net
from yilian.network.models import Alliance
from yilian.telehealth import ecg, intake
from yilian.telehealth.demo import bundled_file

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@cache
def dicom_ecg() -> bytes:
    return bundled_file("waveform_ecg.dcm")


@cache
def ct() -> bytes:
    return bundled_file("CT_small.dcm")


def png(size=(8, 8)) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("L", size, 128).save(out, format="PNG")
    return out.getvalue()


def aecg(drop=()) -> bytes:
    record = ecg.from_dicom(intake.read_dicom(dicom_ecg()))
    record.leads = {k: v for k, v in record.leads.items() if k not in drop}
    return ecg.aecg_xml(record)


def upload(name, content):
    return SimpleUploadedFile(name, content)


def make_tele_net(prefix=""):
    net = make_net(prefix)
    alliance = Alliance.objects.create(name=f"{prefix}{net.hospital.name}医共体", kind=Alliance.Kind.COUNTY_COMMUNITY,
                                       lead=net.hospital)
    alliance.members.add(net.clinic)
    return net


def study_kwargs(net, **overrides):
    kwargs = {"by": net.clinic_user, "resident": net.resident, "modality": "ecg", "urgency": 1,
              "question": "胸痛 40 分钟", "files": [upload("ecg.dcm", dicom_ecg())]}
    kwargs.update(overrides)
    return kwargs
