import pytest

from platform_mgr.domain.trl import (
    TRL_LEVELS,
    TRL_MAX,
    TRL_MIN,
    clamp_trl,
    trl_choices,
    trl_definition,
    trl_label,
    validate_trl,
)


def test_scale_has_exactly_levels_1_to_9():
    assert sorted(TRL_LEVELS) == list(range(1, 10))
    assert (TRL_MIN, TRL_MAX) == (1, 9)


@pytest.mark.parametrize("level", range(1, 10))
def test_every_level_has_distinct_bilingual_definition(level):
    entry = TRL_LEVELS[level]
    assert set(entry) == {"zh", "en"}
    assert entry["zh"].strip() and entry["en"].strip()
    others = [TRL_LEVELS[o] for o in TRL_LEVELS if o != level]
    assert entry["zh"] not in [o["zh"] for o in others]
    assert entry["en"] not in [o["en"] for o in others]


@pytest.mark.parametrize(
    "level, lang, expected",
    [
        (1, "zh", "基本原理被发现和报告"),
        (1, "en", "Basic principles observed and reported"),
        (9, "zh", "实际系统通过成功运行得到验证"),
        (9, "en", "Actual system proven in operational environment"),
        (9, "en_US", "Actual system proven in operational environment"),
        (9, "zh_Hans_CN", "实际系统通过成功运行得到验证"),
        (9, None, "实际系统通过成功运行得到验证"),  # the UI default is Chinese
    ],
)
def test_definition_wording(level, lang, expected):
    assert trl_definition(level, lang) == expected


@pytest.mark.parametrize(
    "level, lang, expected",
    [
        (1, "zh", "TRL 1：基本原理被发现和报告"),
        (1, "en", "TRL 1: Basic principles observed and reported"),
        (9, "en", "TRL 9: Actual system proven in operational environment"),
    ],
)
def test_label(level, lang, expected):
    assert trl_label(level, lang) == expected


@pytest.mark.parametrize("bad", [0, 10, "3", None])
def test_label_and_definition_refuse_bad_levels(bad):
    with pytest.raises(ValueError):
        trl_label(bad, "en")
    with pytest.raises(ValueError):
        trl_definition(bad, "zh")


@pytest.mark.parametrize("level", range(1, 10))
def test_validate_trl_accepts_1_to_9(level):
    assert validate_trl(level) == level


@pytest.mark.parametrize("bad", [0, 10, -1, 100, "3", "", 3.0, 4.5, None, True, False, [3]])
def test_validate_trl_refuses_out_of_range_and_non_int(bad):
    with pytest.raises(ValueError):
        validate_trl(bad)


@pytest.mark.parametrize("value, expected", [(-5, 1), (0, 1), (1, 1), (5, 5), (9, 9), (10, 9), (42, 9)])
def test_clamp_trl(value, expected):
    assert clamp_trl(value) == expected


@pytest.mark.parametrize("bad", ["5", 5.0, None, True])
def test_clamp_trl_refuses_non_int(bad):
    with pytest.raises(ValueError):
        clamp_trl(bad)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_choices_cover_the_scale_in_order(lang):
    choices = trl_choices(lang)
    assert [level for level, _ in choices] == list(range(1, 10))
    assert all(label == trl_label(level, lang) for level, label in choices)
