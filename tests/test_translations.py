"""Every string a person sees has a Chinese translation, and the compiled catalogs match the sources."""
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
TRANS = ROOT / "platform_mgr" / "translations"
METHODS = [("platform_mgr/**.py", "python"), ("templates/**.html", "jinja2")]
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "lazy_gettext": None, "_l": None, "N_": None}


def _source_ids():
    ids = set()
    for _fn, _lineno, message, _comments, _ctx in extract_from_dir(str(ROOT), METHODS, keywords=KEYWORDS,
                                                                     comment_tags=()):
        ids.add(message if isinstance(message, str) else message[0])
    return ids


def test_every_source_string_is_translated_into_chinese():
    with open(TRANS / "zh_Hans_CN" / "LC_MESSAGES" / "messages.mo", "rb") as fh:
        compiled = read_mo(fh)
    translated = {m.id if isinstance(m.id, str) else m.id[0] for m in compiled if m.id and m.string}
    missing = sorted(_source_ids() - translated)
    assert not missing, "untranslated (run tools/i18n.py sync): " + " | ".join(missing[:30])


def test_compiled_catalog_matches_po():
    with open(TRANS / "zh_Hans_CN" / "LC_MESSAGES" / "messages.po", "rb") as fh:
        po = {m.id: m.string for m in read_po(fh) if m.id}
    with open(TRANS / "zh_Hans_CN" / "LC_MESSAGES" / "messages.mo", "rb") as fh:
        mo = {m.id: m.string for m in read_mo(fh) if m.id}
    assert {k: v for k, v in po.items() if v} == {k: v for k, v in mo.items() if v}


def test_texts_stored_in_both_languages_are_translated_without_an_app_or_a_request():
    """Rows stored in both languages (default gate milestones, rework milestones) are translated from the
    catalogs themselves: outside an app context (a seed in a test, a script) Chinese is still Chinese."""
    from platform_mgr.enums import Stage
    from platform_mgr.i18n import LazyLabel, in_both

    assert in_both("Named demand owner or application scenario") == (
        "明确需求方或应用场景", "Named demand owner or application scenario")
    zh, en = in_both("Rework: %(stage)s", stage=LazyLabel(Stage.S2))
    assert (zh, en) == ("返工：" + Stage.S2.label("zh"), "Rework: " + Stage.S2.label("en"))
