"""Translation workflow: extract → fill → compile.

  python tools/i18n.py extract          update messages.pot and merge it into both catalogs
  python tools/i18n.py missing          list msgids without a Chinese translation (exit 1 if any)
  python tools/i18n.py fill FILE.tsv    fill Chinese translations from lines "English<TAB>中文"
  python tools/i18n.py compile          compile the .mo files (committed, so a clean clone works)
  python tools/i18n.py sync             extract + fill from every tools/zh/*.tsv + compile, then list what is missing
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
TRANS = ROOT / "platform_mgr" / "translations"
POT = TRANS / "messages.pot"
LOCALES = ("zh_Hans_CN", "en")


def po_path(locale: str) -> Path:
    return TRANS / locale / "LC_MESSAGES" / "messages.po"


def _pybabel() -> str:
    return str(Path(sys.executable).parent / "pybabel")


def extract() -> None:
    subprocess.run([_pybabel(), "extract", "-F", str(ROOT / "babel.cfg"), "-k", "_l", "-k", "lazy_gettext", "-k", "N_", "-k", "in_both",
                    "--no-location", "--sort-output", "-o", str(POT), str(ROOT)], check=True, cwd=ROOT)
    for locale in LOCALES:
        subprocess.run([_pybabel(), "update", "-i", str(POT), "-d", str(TRANS), "-l", locale,
                        "--no-fuzzy-matching", "--ignore-obsolete", "--omit-header"], check=True, cwd=ROOT)


def _load(locale: str):
    with open(po_path(locale), "rb") as fh:
        return read_po(fh, locale=locale)


def _save(locale: str, catalog) -> None:
    with open(po_path(locale), "wb") as fh:
        write_po(fh, catalog, omit_header=False, sort_output=True, ignore_obsolete=True, include_lineno=False)


def missing() -> int:
    catalog = _load("zh_Hans_CN")
    todo = [m.id for m in catalog if m.id and not (m.string if not isinstance(m.id, tuple) else all(m.string))]
    for msgid in todo:
        print(msgid if isinstance(msgid, str) else msgid[0])
    return 1 if todo else 0


def fill(tsv: str) -> None:
    catalog = _load("zh_Hans_CN")
    pairs = {}
    for line in Path(tsv).read_text(encoding="utf-8").splitlines():
        if not line.strip() or "\t" not in line:
            continue
        en, zh = line.split("\t", 1)
        pairs[en.replace("\\n", "\n")] = zh.replace("\\n", "\n")
    filled = 0
    for message in catalog:
        key = message.id if isinstance(message.id, str) else message.id[0]
        if key in pairs:
            if isinstance(message.id, tuple):
                message.string = (pairs[key],) * 2
            else:
                message.string = pairs[key]
            filled += 1
    _save("zh_Hans_CN", catalog)
    print(f"filled {filled} of {len(pairs)} given")


def compile_all() -> None:
    for locale in LOCALES:
        catalog = _load(locale)
        with open(po_path(locale).with_suffix(".mo"), "wb") as fh:
            write_mo(fh, catalog, use_fuzzy=False)


if __name__ == "__main__":
    cmd = sys.argv[1] if len(sys.argv) > 1 else ""
    if cmd == "extract":
        extract()
    elif cmd == "missing":
        sys.exit(missing())
    elif cmd == "fill":
        fill(sys.argv[2])
    elif cmd == "compile":
        compile_all()
    elif cmd == "sync":
        extract()
        for tsv in sorted((ROOT / "tools" / "zh").glob("*.tsv")):
            fill(str(tsv))
        compile_all()
        sys.exit(missing())
    else:
        print(__doc__)
        sys.exit(2)
