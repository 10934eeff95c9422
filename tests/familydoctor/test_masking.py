"""Masking never shows a hidden character, never raises, whatever it is given."""

import logging
from datetime import date

from hypothesis import given
from hypothesis import strategies as st

from tests.familydoctor.factories import make_id
from yilian.core.masking import (
    ID_HEAD,
    ID_MIN_HIDDEN,
    ID_TAIL,
    MASK,
    PHONE_HEAD,
    PHONE_MIN_HIDDEN,
    PHONE_TAIL,
    RedactingFilter,
    mask_id,
    mask_name,
    mask_phone,
    redact,
    shown_positions,
)


def test_the_examples_of_the_issue():
    assert mask_id("520102199003071234") == "5201**********1234"
    assert mask_phone("13812345678") == "138****5678"


def test_short_and_odd_input():
    assert mask_id(None) == ""
    assert mask_id("") == ""
    assert mask_id("123") == "***"
    assert mask_id(12345678901234567) == "123***********567"  # 17 characters: a shorter head and tail
    assert mask_phone("1234") == "****"
    assert mask_phone("88888888") == "88****88"
    assert mask_phone("0851-88888888") == "085******8888"
    assert mask_name("张三丰") == "张**"
    assert mask_name("张") == "*"

    class Broken:
        def __str__(self):
            raise RuntimeError("no")

    assert mask_id(Broken()) == ""


def _check(value, masked, head, tail, min_hidden):
    text = "".join(str(value).split())
    assert len(masked) == len(text)
    shown_head, shown_tail = shown_positions(len(text), head, tail, min_hidden)
    assert shown_head <= head and shown_tail <= tail
    for i, char in enumerate(masked):
        if shown_head <= i < len(text) - shown_tail:
            assert char == MASK, (text, masked, i)
        else:
            assert char == text[i]
    hidden = len(text) - shown_head - shown_tail
    assert hidden >= min(len(text), min_hidden)


@given(st.text())
def test_mask_id_hides_every_hidden_position(value):
    _check(value, mask_id(value), ID_HEAD, ID_TAIL, ID_MIN_HIDDEN)


@given(st.text())
def test_mask_phone_hides_every_hidden_position(value):
    _check(value, mask_phone(value), PHONE_HEAD, PHONE_TAIL, PHONE_MIN_HIDDEN)


@given(st.text(alphabet="0123456789X", min_size=18, max_size=18), st.integers(4, 13), st.sampled_from("0123456789"))
def test_a_hidden_digit_has_no_influence_on_the_output(number, position, digit):
    changed = number[:position] + digit + number[position + 1:]
    assert mask_id(changed) == mask_id(number)
    assert number[4:14] not in mask_id(number) or number[4:14] == MASK * 10


@given(st.text(alphabet="0123456789", min_size=11, max_size=11), st.integers(3, 6), st.sampled_from("0123456789"))
def test_a_hidden_phone_digit_has_no_influence_on_the_output(number, position, digit):
    assert mask_phone(number[:position] + digit + number[position + 1:]) == mask_phone(number)


@given(st.text(), st.dates(min_value=date(1900, 1, 1), max_value=date(2025, 12, 31)).map(lambda d: make_id(d, 7)))
def test_redact_leaves_no_full_id_in_free_text(prefix, number):
    text = f"{prefix} {number} 联系 13812345678"
    out = redact(text)
    assert number not in out
    assert "13812345678" not in out


def test_the_log_filter_masks_numbers(caplog):
    logger = logging.getLogger("yilian.test.masking")
    logger.addFilter(RedactingFilter())
    with caplog.at_level(logging.INFO, logger="yilian.test.masking"):
        logger.info("resident %s phone %s", "520102199003071236", "13812345678")
    assert "520102199003071236" not in caplog.text
    assert "5201**********1236" in caplog.text
    assert "138****5678" in caplog.text
