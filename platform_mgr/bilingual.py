"""A text whose words are fixed in both languages, for what must not change with the catalog: enum labels,
eligibility reasons, export headers and cells (their bytes are frozen with a snapshot). Everything else a
person reads comes from the gettext catalog. Pure standard library."""
from __future__ import annotations

from dataclasses import dataclass


def lang_of(lang: str | None) -> str:
    """'en', 'en_US', 'en-GB' → 'en'; anything else (the default) → 'zh'."""
    return "en" if lang and str(lang).lower().startswith("en") else "zh"


@dataclass(frozen=True, slots=True)
class Bilingual:
    zh: str
    en: str

    def text(self, lang: str | None = "zh") -> str:
        return self.en if lang_of(lang) == "en" else self.zh

    @property
    def pair(self) -> str:
        """'中文 / English', as exports write it (independent of the reader's language)."""
        return f"{self.zh} / {self.en}"

    def __str__(self) -> str:
        """The text in the language of the current request (English outside one)."""
        try:
            from flask_babel import get_locale  # only when a page or an answer shows it

            return self.text(str(get_locale() or "zh"))
        except RuntimeError:  # outside a request
            return self.en
