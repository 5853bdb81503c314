"""Institutions (DESIGN §10): the one normalisation of a name that is matched, and the format of a unified
social credit code. Pure: values in, values out."""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_SPACES = re.compile(r"\s+")
# punctuation that never tells two institutions apart (full-width brackets are gone after NFKC; the ideographic
# comma and full stop, middle dots and CJK brackets are not)
_PUNCT = re.compile("[\\s\u00b7\u30fb.,\u3001\u3002()\\[\\]\u3010\u3011\\-\u2014\u2013_/'\"\u201c\u201d\u2018\u2019]+")
#: the unified social credit code (GB 32100-2015): 18 characters of digits and capitals without I, O, S, V, Z
CREDIT_CODE = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXY]{10}$")


@lru_cache(maxsize=1)
def _to_simplified():
    import opencc  # OpenCC's own dictionaries (Apache-2.0), traditional → simplified

    return opencc.OpenCC("t2s").convert


def normalise(name: str | None) -> str:
    """The key two names of one institution share: Unicode NFKC (full-width letters and digits become ASCII),
    format characters (category Cf: zero-width spaces, joiners, BOM) removed, whitespace collapsed, traditional
    characters folded to simplified, case folded, and the punctuation and spaces that never tell institutions
    apart dropped. An empty or blank name is ""."""
    text = unicodedata.normalize("NFKC", name or "")
    text = "".join(ch for ch in text if unicodedata.category(ch) != "Cf")
    text = _SPACES.sub(" ", text).strip()
    if not text:
        return ""
    text = _to_simplified()(text).casefold()
    return _PUNCT.sub("", text)


def credit_code_format_ok(code: str) -> bool:
    """The shape of a unified social credit code (the check character of GB 32100 is not verified here)."""
    return bool(CREDIT_CODE.match(code or ""))


def conflict_rules(reviewer_marks: frozenset, host_marks: frozenset, *, declared: bool = False,
                   gatekeeper: bool = False, operator: bool = False, gatekeeper_rule: bool = True) -> list[str]:
    """The conflict rules (DESIGN §10) that keep a reviewer from scoring a platform, in code order.

    ``reviewer_marks``: what identifies the reviewer's institution (its id, its normalised name);
    ``host_marks``: the host's id, its parent's and its children's ids, the host's normalised name.
    C1 holds when they meet; C2 when a relationship was declared; C3 when the reviewer is the platform's
    gatekeeper and the cycle applies the rule (``gatekeeper_rule``, on by default); C4 when they are bound to
    it as operator. Empty marks ("" or None) never meet."""
    rules = []
    if (set(reviewer_marks) - {None, ""}) & (set(host_marks) - {None, ""}):
        rules.append("C1_INSTITUTION")
    if declared:
        rules.append("C2_DECLARED")
    if gatekeeper and gatekeeper_rule:
        rules.append("C3_GATEKEEPER")
    if operator:
        rules.append("C4_OPERATOR")
    return rules
