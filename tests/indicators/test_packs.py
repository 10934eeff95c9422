"""Pack files: every seed has one, every source sentence is in its seed, and bad files are refused with
the file, line and field, changing nothing."""

from pathlib import Path

import pytest

from yilian.indicators import packs, registry
from yilian.indicators.models import Indicator, Pack

SEEDS = Path("/work/shared/seeds")

GOOD = """\
slug: test-pack
version: 1
city: 测试市
title: {zh: 测试, en: Test}
seed_file: 000_x.txt
start: 2022-01-01
indicators:
  - code: pilots
    name: {zh: 试点数, en: Pilots}
    unit: 个
    source: {file: 000_x.txt, sentence: 试点100个}
    query:
      numerator: {model: network.PilotCommunity, by: region, filter: {status: built}}
    targets:
      - {value: 100, deadline: 2022-12-31}
"""


def _problems(text):
    with pytest.raises(packs.PackInvalid) as caught:
        packs.validate(text, "bad.yaml")
    return caught.value.problems


def test_one_pack_per_seed_and_every_target_has_a_deadline(shipped):
    seeds = {p.seed_file for p in shipped.values()}
    assert seeds == {"000_31819fe0b359f8a7.txt", "001_747a7f46c7c72809.txt", "002_993314f26d1d3f19.txt",
                     "003_7ab32ee306ef5102.txt", "004_05683681b709579b.txt"}
    assert Indicator.objects.count() >= 35
    for indicator in Indicator.objects.prefetch_related("targets"):
        assert indicator.targets.exists() and all(t.deadline for t in indicator.targets.all())


@pytest.mark.skipif(not SEEDS.exists(), reason="seed documents not on this machine")
def test_every_source_sentence_is_quoted_exactly_from_its_seed(shipped):
    for indicator in Indicator.objects.select_related("pack"):
        text = (SEEDS / indicator.pack.seed_file).read_text(encoding="utf-8")
        assert indicator.source_sentence in text, indicator.code


def test_the_quantified_targets_of_the_brief_are_shipped(shipped):
    def targets(slug, code):
        indicator = Indicator.objects.get(pack__slug=slug, code=code)
        return [(float(t.value), t.deadline.isoformat()) for t in indicator.targets.all()]

    assert targets("guiyang-sangan", "pilots-built") == [(41, "2021-12-31"), (100, "2022-12-31"), (200, "2025-12-31")]
    assert targets("guiyang-sangan", "satisfaction") == [(80, "2022-12-31"), (90, "2025-12-31")]
    assert targets("wuhai-15-minute-circle", "tcm-elderly") == [(70, "2023-12-31")]
    assert targets("wuhai-15-minute-circle", "tcm-children") == [(77, "2023-12-31")]
    assert targets("wuhai-15-minute-circle", "key-population-contracts") == [(85, "2024-12-31")]
    assert targets("wuhai-15-minute-circle", "childcare-city-places") == [(4, "2024-12-31")]
    assert targets("quangang-dispatch", "yearly-report") == [(100, "2022-11-30")]
    assert targets("county-medical-community", "green-channel-one-hour") == [(100, "2023-12-31")]
    full = Indicator.objects.get(code="full-appointment")
    assert full.metric_name == "appointments.booked_visit_share"


def test_loaded_pack_keeps_hash_and_version(db):
    pack = packs.load_text(GOOD, "good.yaml")
    assert pack.version == "1" and len(pack.file_hash) == 64 and pack.indicators.count() == 1


def test_unknown_field_names_file_line_and_field():
    problems = _problems(GOOD.replace("    unit: 个\n", "    unit: 个\n    colour: red\n"))
    assert [(p.file, p.line, p.field) for p in problems] == [("bad.yaml", 11, "indicators.0.colour")]
    assert "unknown field 'colour'" in problems[0].message


def test_a_field_that_does_not_exist_is_refused_with_its_line():
    problems = _problems(GOOD.replace("filter: {status: built}", "filter: {colour: built}"))
    assert problems[0].line == 13 and problems[0].field == "indicators.0.query.numerator.filter"
    assert "colour" in problems[0].message


def test_a_model_that_does_not_exist_and_a_bad_grouping_are_refused():
    problems = _problems(GOOD.replace("network.PilotCommunity", "network.Nothing"))
    assert problems[0].field == "indicators.0.query.numerator.model" and "network.Nothing" in problems[0].message
    problems = _problems(GOOD.replace("network.PilotCommunity", "auth.User"))
    assert "not a scoped domain model" in problems[0].message
    problems = _problems(GOOD.replace("by: region", "by: status"))
    assert problems[0].field == "indicators.0.query.numerator.by"


def test_a_target_without_a_deadline_is_refused():
    problems = _problems(GOOD.replace("{value: 100, deadline: 2022-12-31}", "{value: 100}"))
    assert problems[0].field == "indicators.0.targets.0" and "deadline" in problems[0].message
    assert problems[0].line == 15


def test_unknown_metric_is_refused_but_a_pending_one_is_accepted():
    query = "    query:\n      numerator: {model: network.PilotCommunity, by: region, filter: {status: built}}\n"
    text = GOOD.replace(query, "    metric: nobody.knows\n")
    assert "unknown metric" in _problems(text)[0].message
    packs.validate(text.replace("nobody.knows", "appointments.booked_visit_share"), "ok.yaml")


def test_yaml_syntax_error_names_the_line():
    problems = _problems(GOOD + "  - code: [unclosed\n")
    assert problems[0].file == "bad.yaml" and problems[0].line > 15


def test_a_bad_pack_never_replaces_a_good_one(db):
    packs.load_text(GOOD, "good.yaml")
    with pytest.raises(packs.PackInvalid):
        packs.load_text(GOOD.replace("value: 100", "value: 150").replace("city: 测试市", "city: 测试市\nextra: 1"),
                        "good.yaml")
    indicator = Indicator.objects.get(code="pilots")
    assert [float(t.value) for t in indicator.targets.all()] == [100]
    assert Pack.objects.get().city == "测试市"


def test_reload_overwrites_shipped_indicators_but_keeps_ui_ones_and_weights(db):
    pack = packs.load_text(GOOD, "good.yaml")
    shipped = pack.indicators.get()
    shipped.weight = 3
    shipped.name_zh = "界面里改的名字"
    shipped.save()
    Indicator.objects.create(pack=pack, code="mine", name_zh="自加", name_en="Mine", unit="个", shipped=False,
                             definition={"metric": "support.centre_coverage"}, source_sentence="-")
    packs.load_text(GOOD.replace("version: 1", "version: 2"), "good.yaml")
    shipped.refresh_from_db()
    assert shipped.name_zh == "试点数" and shipped.weight == 3
    assert Indicator.objects.filter(code="mine", shipped=False).exists()
    assert Pack.objects.get().version == "2"


def test_the_appointments_metric_is_registered_not_pending():
    assert "appointments.booked_visit_share" not in registry.PENDING
    assert registry.get("appointments.booked_visit_share") is not None
