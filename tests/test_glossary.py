"""The catalogs use the glossary (docs/glossary.md, DESIGN §16): one term per concept, and full-width
punctuation inside Chinese.

What is read: the Chinese catalog (every msgstr, which includes the mail templates' Chinese), the
enumeration labels of vocabulary.toml and the export column headers. What is checked:
- the enumerations that name a glossary concept carry exactly the glossary's terms (zh and en);
- the catalog entries for a glossary concept translate to the glossary's term;
- no Chinese string uses a known other word for a glossary concept;
- no Chinese string puts an ASCII ``:`` ``,`` ``;`` ``(`` ``)`` next to a Chinese character.
"""
from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from platform_mgr.exports import cycle_lists, platform_lists
from platform_mgr.exports.columns import Column

ROOT = Path(__file__).resolve().parent.parent
GLOSSARY = ROOT / "docs" / "glossary.md"
PO = ROOT / "platform_mgr" / "translations" / "zh_Hans_CN" / "LC_MESSAGES" / "messages.po"
VOCABULARY = ROOT / "platform_mgr" / "vocabulary.toml"
HAN = r"[\u3400-\u9fff\u3000-\u303f\uff01-\uff5e]"  # Chinese characters and full-width punctuation


def _glossary() -> dict[str, tuple[list[str], list[str]]]:
    """concept → (Chinese terms, English terms), read from the markdown table of docs/glossary.md."""
    rows: dict[str, tuple[list[str], list[str]]] = {}
    for line in GLOSSARY.read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if not line.startswith("|") or len(cells) != 3 or cells[0] in ("concept", "") or set(cells[0]) <= set("-"):
            continue
        rows[cells[0]] = tuple([t.strip() for t in c.split("·")] for c in cells[1:])
    return rows


def _catalog() -> dict[str, str]:
    with open(PO, "rb") as fh:
        return {(m.id if isinstance(m.id, str) else m.id[0]): (m.string if isinstance(m.string, str) else m.string[0])
                for m in read_po(fh) if m.id and m.string}


def _vocabulary() -> dict[str, dict[str, list[str]]]:
    with open(VOCABULARY, "rb") as fh:
        return tomllib.load(fh)


def _columns() -> list[Column]:
    found = []
    for module in (cycle_lists, platform_lists):
        for value in vars(module).values():
            if isinstance(value, tuple) and value and all(isinstance(c, Column) for c in value):
                found.extend(value)
    return found


def _chinese_strings() -> list[tuple[str, str]]:
    """(where, text) for every Chinese string a person can read."""
    strings = [(f"po {msgid!r}", text) for msgid, text in _catalog().items()]
    strings += [(f"vocabulary {enum}.{value}", pair[0]) for enum, values in _vocabulary().items()
                for value, pair in values.items()]
    strings += [(f"export column {c.key}", c.zh) for c in _columns()]
    return strings


GLOSSARY_ROWS = _glossary()


def test_the_glossary_is_the_table_of_design_16():
    assert list(GLOSSARY_ROWS) == ["cycle states", "verdicts", "origin", "grades", "gate decisions",
                                   "gate table columns", "review count", "notice", "money", "required field"]
    for concept, (zh, en) in GLOSSARY_ROWS.items():
        assert len(zh) == len(en), concept


# enumerations whose labels are a glossary row: enum → concept (the glossary lists more states than are
# built: 已定稿 / Finalised comes with the finalisation of a cycle)
ENUMS = {"CycleState": "cycle states", "Verdict": "verdicts", "Grade": "grades", "Decision": "gate decisions",
         "PlatformOrigin": "origin"}


def _origin_terms(terms: list[str]) -> list[str]:
    """'组建方式：自上而下（…）' / 'Origin: top-down (…)' → the values, as a label writes them."""
    values = [re.sub(r"^[^:：]*[:：]\s*", "", t) for t in terms]
    return [v[0].upper() + v[1:] for v in values]


@pytest.mark.parametrize("enum,concept", ENUMS.items())
def test_enumeration_labels_are_the_glossary_terms(enum, concept):
    zh, en = GLOSSARY_ROWS[concept]
    if concept == "origin":
        zh, en = _origin_terms(zh), _origin_terms(en)
    pairs = dict(zip(en, zh))
    labels = _vocabulary()[enum]
    for value, (label_zh, label_en) in labels.items():
        assert label_en in pairs, f"{enum}.{value}: {label_en!r} is not one of the glossary's {en}"
        assert label_zh == pairs[label_en], f"{enum}.{value}: {label_zh!r}, the glossary says {pairs[label_en]!r}"


# catalog entries that are a glossary term themselves: msgid → concept
CATALOG_TERMS = {
    "Origin": ("origin", "组建方式"),
    "Gate": ("gate table columns", 0), "Requested": ("gate table columns", 1),
    "Decision": ("gate table columns", 2), "Decided": ("gate table columns", 3),
    "Rationale and conditions": ("gate table columns", 4),
    "Counted reviews": ("review count", 0),
    "Public notice": ("notice", 0),
    "This field is required.": ("required field", 0),
}


@pytest.mark.parametrize("msgid,where", CATALOG_TERMS.items())
def test_catalog_entries_for_a_concept_are_its_terms(msgid, where):
    concept, index = where
    zh_terms, en_terms = GLOSSARY_ROWS[concept]
    if isinstance(index, str):  # a row whose first word is the concept's name ("组建方式：…")
        expected_zh, expected_en = index, "Origin"
    else:
        expected_zh, expected_en = zh_terms[index], en_terms[index]
    assert msgid.rstrip(".") == expected_en, "the English msgid is the glossary's English"
    assert _catalog()[msgid].rstrip("。") == expected_zh


def test_export_headers_use_the_glossary_terms():
    columns = {c.key: c for c in _columns()}
    assert (columns["origin"].zh, columns["origin"].en) == ("组建方式", "Origin")
    assert (columns["n_reviews"].zh, columns["n_reviews"].en) == ("有效评审数", "Counted reviews")
    assert (columns["award_wan"].zh, columns["award_wan"].en) == ("资助金额（万元）", "Award (10k yuan)")


# other words that have been used for a glossary concept: none may appear in a Chinese string
WRONG = {
    "verdicts": ["有条件符合", "符合资格", "不符合资格"],
    "origin": ["建设方式"],
    "cycle states": ["已开放", "评估周期已关闭", "已关闭：模拟"],
    "gate table columns": ["评审关口", "决策理由"],
    "gate decisions": ["返工：留在本阶段"],
    "review count": ["有效评审份数", "有效评审 %(n)d 份"],
    "required field": ["此项为必填。", "此项不能为空", "此项为必填项目"],
}


@pytest.mark.parametrize("concept", WRONG)
def test_no_chinese_string_uses_another_word_for_a_glossary_concept(concept):
    offenders = [f"{where}: {text}" for where, text in _chinese_strings()
                 for wrong in WRONG[concept] if wrong in text]
    assert not offenders, f"{concept} is called {GLOSSARY_ROWS[concept][0]}:\n" + "\n".join(offenders)


def test_the_open_cycle_state_is_not_a_verb():
    assert _vocabulary()["CycleState"]["open"] == ["评审中", "Open"]


def test_score_errors_follow_one_pattern():
    """'指标 VC1：…' for every refusal of one criterion's points."""
    catalog = _catalog()
    for msgid in ("Points for %(code)s must be between 0 and %(max)s", "Criterion %(code)s has not been scored",
                  "The rubric has no criterion %(code)s", "%(code)s: %(message)s"):
        assert catalog[msgid].startswith("指标 %(code)s："), msgid


PLACEHOLDERS = re.compile(r"%\([^)]*\)[sdfr]|%[sd]|\{\{.*?\}\}|\{[a-z_]*\}|https?://\S+")
ASCII_NEXT_TO_HAN = re.compile(rf"{HAN}\s*[:,;()]|[:,;()]\s*{HAN}")


def _punctuation_problem(text: str) -> str | None:
    stripped = PLACEHOLDERS.sub("X", text)
    found = ASCII_NEXT_TO_HAN.search(stripped)
    return found.group(0) if found else None


@pytest.mark.parametrize("text,bad", [("合计: 71.5", True), ("评估结果 (临时)", True), ("R2 等级, R3 维度下限", True),
                                      ("校验摘要（SHA-256）: ", True), ("合计：71.5", False),
                                      ("每天 10:00 发送", False), ("%(name)s：已保存", False),
                                      ("{{ cycle }}已截止", False), ("（%(n)d）", False)])
def test_the_punctuation_check_itself(text, bad):
    assert (_punctuation_problem(text) is not None) is bad


def test_no_chinese_string_puts_ascii_punctuation_next_to_a_chinese_character():
    offenders = [f"{where}: {text!r} ({problem!r})" for where, text in _chinese_strings()
                 if (problem := _punctuation_problem(text))]
    assert not offenders, "use ：，；（） in Chinese:\n" + "\n".join(offenders)


TEMPLATE_EXPR = re.compile(r"\{\{(.*?)\}\}", re.S)


def test_templates_do_not_glue_ascii_punctuation_to_a_translated_text():
    """'{{ _('Total') }}: …' reads "合计: …" in Chinese; templates write colon() and paren(…) instead."""
    offenders = []
    for path in sorted((ROOT / "templates").rglob("*")):
        if path.suffix not in (".html", ".txt"):
            continue
        source = path.read_text(encoding="utf-8")
        for found in TEMPLATE_EXPR.finditer(source):
            if not re.search(r"\b_\(|\|label|\.label\(", found.group(1)):
                continue
            after = source[found.end():found.end() + 3].lstrip(" ")[:1]
            before = source[max(0, found.start() - 3):found.start()].rstrip(" ")[-1:]
            if (after and after in ":,;(") or (before and before in ":,;()"):
                line = source.count("\n", 0, found.start()) + 1
                offenders.append(f"{path.relative_to(ROOT)}:{line}: {found.group(0)[:60]}")
    assert not offenders, "\n".join(offenders)
