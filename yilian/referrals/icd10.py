"""A small bundled list of ICD-10 codes common in grassroots referrals (国家临床版 subset).

A code is accepted when it is listed itself, or when its three-character category is listed as a
whole category (``I21`` accepts ``I21.0`` … ``I21.9``). Pure Python, no Django.
"""

from __future__ import annotations

import re

FORMAT = re.compile(r"^[A-Z][0-9]{2}(\.[0-9A-Z]{1,4})?$")

# category or code -> Chinese name
CODES: dict[str, str] = {
    "I10": "特发性(原发性)高血压",
    "I20": "心绞痛",
    "I21": "急性心肌梗死",
    "I25": "慢性缺血性心脏病",
    "I48": "心房纤颤和扑动",
    "I50": "心力衰竭",
    "I60": "蛛网膜下腔出血",
    "I61": "脑内出血",
    "I63": "脑梗死",
    "I64": "脑卒中",
    "E10": "1型糖尿病",
    "E11": "2型糖尿病",
    "E14": "糖尿病",
    "J18.9": "肺炎",
    "J44": "慢性阻塞性肺病",
    "J45": "哮喘",
    "K35": "急性阑尾炎",
    "K92.2": "胃肠出血",
    "N18": "慢性肾脏病",
    "C34": "支气管和肺恶性肿瘤",
    "C16": "胃恶性肿瘤",
    "S06": "颅内损伤",
    "S72": "股骨骨折",
    "T07": "多处损伤",
    "O14": "子痫前期",
    "O15": "子痫",
    "O20": "妊娠早期出血",
    "O44": "前置胎盘",
    "O45": "胎盘早剥",
    "O60": "早产",
    "O72": "产后出血",
    "P07": "早产和低出生体重",
    "P21": "出生窒息",
    "P22": "新生儿呼吸窘迫",
    "P36": "新生儿细菌性脓毒症",
    "P59": "新生儿黄疸",
    "R07.4": "胸痛",
    "R55": "晕厥和虚脱",
    "Z09": "治疗后随诊检查",
}


def normalise(code: str) -> str:
    return (code or "").strip().upper().replace(" ", "")


def is_well_formed(code: str) -> bool:
    return bool(FORMAT.match(normalise(code)))


def name_of(code: str) -> str | None:
    """The Chinese name of a known code (its own, or its category's); None when unknown."""
    code = normalise(code)
    return CODES.get(code) or CODES.get(code[:3])
