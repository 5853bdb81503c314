"""Language choice: ?lang=zh|en on any page, kept in the session and as the user's preference."""
from __future__ import annotations

from datetime import date, datetime, timezone
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

from babel.support import Translations
from flask import current_app, g, request, session
from flask_babel import get_locale
from flask_login import current_user
from markupsafe import Markup, escape

from . import clock

SHANGHAI = ZoneInfo("Asia/Shanghai")
LANG_ALIASES = {
    "zh": "zh_Hans_CN", "zh_cn": "zh_Hans_CN", "zh-cn": "zh_Hans_CN", "zh_hans_cn": "zh_Hans_CN",
    "zh-hans": "zh_Hans_CN", "zh_hans": "zh_Hans_CN", "en": "en", "en_us": "en", "en-us": "en",
}


def parse_lang(value: str | None) -> str | None:
    if not value:
        return None
    return LANG_ALIASES.get(value.strip().lower())


def select_locale() -> str:
    chosen = getattr(g, "lang", None)
    if chosen:
        return chosen
    try:
        from_query = parse_lang(request.args.get("lang"))
    except RuntimeError:
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    if from_query:
        return from_query
    api_user = getattr(g, "api_user", None)
    if api_user is not None:
        return api_user.preferred_lang
    if session.get("lang"):
        return session["lang"]
    if current_user and getattr(current_user, "is_authenticated", False):
        return current_user.preferred_lang
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def lang_code() -> str:
    """'zh' or 'en' — the short code the templates and bilingual data use."""
    return "en" if str(get_locale() or "zh").startswith("en") else "zh"


def pick(zh: str | None, en: str | None) -> str:
    """The text of a bilingual pair in the current language, falling back to the other."""
    if lang_code() == "en":
        return en or zh or ""
    return zh or en or ""


def issuer_name() -> str:
    """Who issues the public notice (``ISSUER_NAME_ZH`` / ``ISSUER_NAME_EN``) in the current language."""
    return pick(current_app.config["ISSUER_NAME_ZH"], current_app.config["ISSUER_NAME_EN"])


def trl_text(level: int) -> str:
    """A TRL's definition in the current language (the reader's), e.g. '关键功能和特性…' for 3 in Chinese."""
    from .domain.trl import trl_definition

    return trl_definition(level, lang_code())


def colon() -> str:
    """The colon after a label: full-width in Chinese (no space), ': ' in English (docs/glossary.md)."""
    return ": " if lang_code() == "en" else "："


def paren(text: object) -> Markup:
    """A bracketed aside after a word: '（…）' in Chinese, ' (…)' in English; `text` is escaped."""
    inner = escape(text)
    return Markup(" (%s)") % inner if lang_code() == "en" else Markup("（%s）") % inner


def to_local(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(SHANGHAI)


def format_dt(value: datetime | None, seconds: bool = False) -> str:
    local = to_local(value)
    return local.strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M") if local else ""


def format_date(value: date | None) -> str:
    return value.isoformat() if value else ""


def format_yuan(value: int | None) -> str:
    """Integer yuan shown in 万元 in Chinese, in yuan with separators in English."""
    if value is None:
        return ""
    if lang_code() == "zh":
        return f"{value / 10000:,.2f} 万元"
    return f"¥{value:,}"


def shanghai_today(now: datetime | None = None) -> date:
    return clock.today(now)


TRANSLATIONS = Path(__file__).parent / "translations"


@lru_cache(maxsize=None)
def _catalog(locale: str) -> Translations:
    return Translations.load(str(TRANSLATIONS), [locale], domain="messages")


def in_both(msgid: str, **params) -> tuple[str, str]:
    """A catalog text in Chinese and in English (for rows stored in both languages). Reads the compiled
    catalogs itself, so it gives the same answer with or without an app or a request; an enum member (or its
    LazyLabel) among ``params`` is labelled in each language."""
    texts = []
    for locale, lang in (("zh_Hans_CN", "zh"), ("en", "en")):
        text = _catalog(locale).gettext(msgid)
        if params:
            text = text % {name: _in(value, lang) for name, value in params.items()}
        texts.append(text)
    return texts[0], texts[1]


def _in(value, lang: str):
    from . import enums

    member = value.member if isinstance(value, LazyLabel) else value
    return member.label(lang) if isinstance(member, enums.Labelled) else value


def N_(text: str) -> str:
    """Marks a msgid for extraction into the catalog where it is translated later (a table of messages)."""
    return text


def label(value, enum: str | None = None) -> str:
    """A stored enum value's label in the request's language (the Jinja filter ``x|label`` or
    ``x|label("Stage")`` for a plain string); the value itself when it is not one; empty for None."""
    from . import enums

    if value is None or value == "":
        return ""
    if isinstance(value, enums.Labelled):
        return value.label(lang_code())
    if enum is not None:
        try:
            return enums.ALL[enum](value).label(lang_code())
        except ValueError:
            return str(value)
    return str(value)


class LazyLabel:
    """An enum member's label, chosen when it is shown (form choices are built before a request)."""

    __slots__ = ("member",)

    def __init__(self, member):
        self.member = member

    def __str__(self) -> str:
        return self.member.label(lang_code())

    def __html__(self) -> str:
        from markupsafe import escape

        return str(escape(str(self)))

    def __eq__(self, other) -> bool:
        return str(self) == str(other)

    def __hash__(self) -> int:
        return hash(self.member)


def enum_choices(enum, members=None) -> list[tuple[str, LazyLabel]]:
    """(value, label) choices of a select field, labelled in the language of the request that shows them."""
    return [(m.value, LazyLabel(m)) for m in (members if members is not None else enum)]
