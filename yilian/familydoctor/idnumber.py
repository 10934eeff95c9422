"""居民身份证号 (GB 11643-1999) and phone numbers: normalise what can be, reject the rest, say why.

Pure: no models, no database (messages are lazy translations, so importing needs no settings).

Normalised: full-width digits and Ｘ (as typed with a Chinese input method), lowercase x, spaces
anywhere (including the ideographic space). Rejected, each with its own message: other characters,
a length other than 18, a wrong check digit (ISO 7064 MOD 11-2, via python-stdnum ``cn.ric``), and
an impossible birth date (no such day, before 1900, or in the future). The check digit is checked
before the birth date, as stdnum does: any single mistyped digit is reported as a wrong check
digit, and "impossible birth date" means a number whose check digit is right but whose date is not.
The 6-digit place code is not checked: codes of abolished counties stay valid for life.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _
from stdnum.cn import ric
from stdnum.exceptions import InvalidComponent

LENGTH = 18
EARLIEST_BIRTH = dt.date(1900, 1, 1)

_FULL_WIDTH = {0xFF10 + d: str(d) for d in range(10)} | {0xFF38: "X", 0xFF58: "X", ord("x"): "X"}


class IdNumberError(ValueError):
    """Why a 身份证号 is refused; ``code`` is one of the class constants."""

    CHARACTERS = "characters"
    LENGTH = "length"
    CHECKSUM = "checksum"
    BIRTH_DATE = "birth_date"

    MESSAGES = {
        CHARACTERS: _("The ID number may only contain digits and a final X."),
        LENGTH: _("The ID number must have 18 characters."),
        CHECKSUM: _("The ID number's check digit is wrong: a digit is probably mistyped."),
        BIRTH_DATE: _("The ID number contains an impossible birth date."),
    }

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code

    @property
    def message(self):
        return self.MESSAGES[self.code]


@dataclass(frozen=True)
class IdNumber:
    number: str
    birth_date: dt.date
    sex: str  # "male" or "female": the 17th digit is odd for men, even for women


def normalise(raw) -> str:
    """Full-width digits → ASCII, x → X, every space removed. Idempotent; does not validate."""
    text = "" if raw is None else str(raw)
    return "".join(text.translate(_FULL_WIDTH).split())


def parse(raw, *, today: dt.date | None = None) -> IdNumber:
    """The normalised, valid number with what it says; raises IdNumberError naming the problem."""
    number = normalise(raw)
    if not number or not re.fullmatch(r"[0-9]*[0-9X]", number):
        raise IdNumberError(IdNumberError.CHARACTERS if number else IdNumberError.LENGTH)
    if len(number) != LENGTH:
        raise IdNumberError(IdNumberError.LENGTH)
    if number[-1] != ric.calc_check_digit(number):
        raise IdNumberError(IdNumberError.CHECKSUM)
    try:
        birth = ric.get_birth_date(number)
    except InvalidComponent as exc:
        raise IdNumberError(IdNumberError.BIRTH_DATE) from exc
    if not EARLIEST_BIRTH <= birth <= (today or dt.date.today()):
        raise IdNumberError(IdNumberError.BIRTH_DATE)
    return IdNumber(number=number, birth_date=birth, sex="male" if int(number[16]) % 2 else "female")


def is_valid(raw) -> bool:
    try:
        parse(raw)
    except IdNumberError:
        return False
    return True


def with_check_digit(first17: str) -> str:
    """Complete 17 digits with their check digit (for generators and tests)."""
    return first17 + ric.calc_check_digit(first17 + "0")


# ------------------------------------------------------------------------------------ phones


class PhoneError(ValueError):
    message = _("Enter an 11-digit mobile number (13812345678) or a landline with its area code (0851-88888888).")


_MOBILE = re.compile(r"(?:\+?86)?(1[3-9][0-9]{9})")
_LANDLINE = re.compile(r"(0[0-9]{2,3})-?([1-9][0-9]{6,7})")


def normalise_phone(raw) -> str:
    """``138 1234 5678`` / ``+86 13812345678`` → ``13812345678``; ``085188888888`` → ``0851-88888888``.

    Empty stays empty; anything else raises PhoneError.
    """
    text = normalise(raw).replace("－", "-").replace("—", "-")
    if not text:
        return ""
    if match := _MOBILE.fullmatch(text.replace("-", "")):
        return match.group(1)
    if "-" not in text and len(text) in (11, 12):
        # without a dash: 010 and 02x are the 3-digit area codes, all others have 4 digits
        split = 3 if text[:2] in ("01", "02") else 4
        text = f"{text[:split]}-{text[split:]}"
    if match := _LANDLINE.fullmatch(text):
        return f"{match.group(1)}-{match.group(2)}"
    raise PhoneError(text)
