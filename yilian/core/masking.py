"""Masking of personal numbers for pages, exports and logs: ``5201**********1234``, ``138****5678``.

Pure functions, no Django. They never raise and never show more than the fixed head and tail of a
number; a short or odd value shows less (or nothing), never more. Whitespace is dropped before
masking, so output position ``i`` is position ``i`` of the value without its spaces.
"""

from __future__ import annotations

import logging
import re

MASK = "*"
ID_HEAD, ID_TAIL, ID_MIN_HIDDEN = 4, 4, 10  # 身份证号: region prefix and last four stay visible
PHONE_HEAD, PHONE_TAIL, PHONE_MIN_HIDDEN = 3, 4, 4  # 手机号: carrier prefix and last four


def _compact(value) -> str:
    try:
        return "" if value is None else "".join(str(value).split())
    except Exception:  # noqa: BLE001 — a __str__ that fails must not break a page or a log line
        return ""


def shown_positions(length: int, head: int, tail: int, min_hidden: int) -> tuple[int, int]:
    """How many leading and trailing characters a value of ``length`` may show.

    The full head and tail only when at least ``min_hidden`` characters stay hidden; a shorter
    value shows an equal, smaller head and tail (possibly none).
    """
    if length >= head + tail + min_hidden:
        return head, tail
    keep = max(0, (length - min_hidden) // 2)
    return min(head, keep), min(tail, keep)


def _mask(value, head: int, tail: int, min_hidden: int) -> str:
    text = _compact(value)
    shown_head, shown_tail = shown_positions(len(text), head, tail, min_hidden)
    hidden = len(text) - shown_head - shown_tail
    return text[:shown_head] + MASK * hidden + (text[len(text) - shown_tail:] if shown_tail else "")


def mask_id(value) -> str:
    """``520102199003071234`` → ``5201**********1234``."""
    return _mask(value, ID_HEAD, ID_TAIL, ID_MIN_HIDDEN)


def mask_phone(value) -> str:
    """``13812345678`` → ``138****5678``; ``0851-88888888`` → ``085******8888``."""
    return _mask(value, PHONE_HEAD, PHONE_TAIL, PHONE_MIN_HIDDEN)


def mask_name(value) -> str:
    """``张三丰`` → ``张**``: enough to recognise a record in a log, not to identify a person."""
    text = _compact(value)
    if len(text) <= 1:
        return MASK * len(text)
    return text[0] + MASK * (len(text) - 1)


# An 18-character ID (17 digits and a digit or X), or a mainland mobile number, inside free text.
_ID_IN_TEXT = re.compile(r"(?<![0-9])[0-9]{17}[0-9Xx](?![0-9A-Za-z])")
_PHONE_IN_TEXT = re.compile(r"(?<![0-9])(?:\+?86[- ]?)?1[3-9][0-9]{9}(?![0-9])")


def redact(text) -> str:
    """Mask every ID or mobile number found in free text (log messages, summaries, notes)."""
    try:
        text = "" if text is None else str(text)
        text = _ID_IN_TEXT.sub(lambda m: mask_id(m.group(0)), text)
        return _PHONE_IN_TEXT.sub(lambda m: mask_phone(m.group(0)), text)
    except Exception:  # noqa: BLE001
        return ""


class RedactingFilter(logging.Filter):
    """A logging filter that masks ID and mobile numbers in every record it passes.

    Enable it in ``LOGGING["filters"]`` and on the handlers: ``{"()": "yilian.core.masking.RedactingFilter"}``.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            record.msg = redact(record.getMessage())
            record.args = ()
        except Exception:  # noqa: BLE001 — logging must go on
            record.msg, record.args = "[unloggable message]", ()
        return True
