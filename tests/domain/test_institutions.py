"""The one normalisation of institution names (DESIGN §10) and the credit code's format, as tables."""
import pytest

from platform_mgr.domain.institutions import credit_code_format_ok, normalise

HOST = "华东脑机智能研究院"


@pytest.mark.parametrize("variant", [
    HOST,
    HOST + "\u200b",                     # a zero-width space at the end
    "华东\u200d脑机\u2060智能研究院",      # a zero-width joiner, a word joiner inside
    "\ufeff" + HOST,                     # a byte-order mark in front
    "華東腦機智能研究院",                  # traditional characters
    "華東腦機智能研究院\u200b",            # both
    " 华东脑机  智能研究院 ",              # spacing, ASCII
    "华东脑机\u3000智能研究院",            # an ideographic (full-width) space
    "华东脑机智能研究院（）",               # full-width brackets left empty
])
def test_variants_of_one_name_are_one(variant):
    assert normalise(variant) == normalise(HOST) == "华东脑机智能研究院"


@pytest.mark.parametrize("a,b", [
    ("Fudan University", "FUDAN  university"),          # case and spacing
    ("Fudan University", "ＦＵＤＡＮ　Ｕｎｉｖｅｒｓｉｔｙ"),  # full-width letters and space
    ("复兴大学（医学院）", "复兴大学医学院"),               # brackets
    ("复兴大学·医学院", "復興大學醫學院"),                 # a middle dot; traditional
    ("Straße Institut", "STRASSE institut"),           # case folding, not just lower-casing
])
def test_equal_after_normalising(a, b):
    assert normalise(a) == normalise(b)


@pytest.mark.parametrize("a,b", [
    ("复兴大学", "复兴大学附属医院"),
    ("华东脑机智能研究院", "华南脑机智能研究院"),
    ("Fudan University", "Fudan College"),
])
def test_different_institutions_stay_different(a, b):
    assert normalise(a) != normalise(b)


@pytest.mark.parametrize("blank", [None, "", "   ", "\u200b", "\u3000\ufeff"])
def test_a_blank_name_has_no_key(blank):
    assert normalise(blank) == ""


@pytest.mark.parametrize("code,ok", [
    ("91310000MA1FL4XQ3B", True),
    ("91310000ma1fl4xq3b", False),   # capitals only (the input model upper-cases)
    ("91310000MA1FL4XQ3", False),    # 17 characters
    ("91310000MA1FL4XQ3I", False),   # I, O, S, V, Z are not used
    ("9131000AMA1FL4XQ3B", False),   # the region code is six digits
    ("", False),
])
def test_credit_code_format(code, ok):
    assert credit_code_format_ok(code) is ok
