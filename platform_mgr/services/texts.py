"""Notification texts: one template per kind, rendered in Chinese and in English.

Layout: ``templates/mail/<kind>.txt`` holds ``{% block subject %}`` (one line: runs of whitespace become one
space) and ``{% block body %}`` (stripped at both ends, line breaks kept); ``templates/mail/_macros.txt``
holds the phrases several kinds share. Every string in them is gettext with an English msgid
(``{% trans trimmed %}`` or ``_()``); the Chinese is in the catalog (``tools/zh/mail.tsv``).

Domain and job code decide *what* is said — a kind and a context of plain values (ids, names, dates,
instants, counts); ``render_many`` says it, once under ``force_locale('zh_Hans_CN')`` and once under
``force_locale('en')``, which fills the four text columns of a notification (``subject_zh``,
``subject_en``, ``body_zh``, ``body_en``). Templates see the context's values, ``m`` (the macros of
``_macros.txt``, loaded once), and these filters, the only place where dates, instants and lists are
formatted for a person:

- ``moment``: an instant on the Beijing clock, ``2026年12月1日 08:00（北京时间）`` /
  ``2026-12-01 08:00 (Beijing time, UTC+8)``;
- ``day``: a date, ``2026年12月1日`` / ``2026-12-01``;
- ``series``: a list joined the language's way (``BCI、SIPH`` / ``BCI, SIPH``); ``clauses``: with ``；`` / ``; ``;
- ``short``: a title shortened for a subject (bodies keep it whole); ``id_ref``: ``#7``; ``upper_first``.

Rendering needs an app context (the scheduler's tick and requests have one).
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from contextvars import ContextVar
from dataclasses import asdict, dataclass
from datetime import date, datetime, timezone
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import force_locale, get_translations
from jinja2 import Environment, StrictUndefined, Template

SHANGHAI = ZoneInfo("Asia/Shanghai")
LOCALES = (("zh", "zh_Hans_CN"), ("en", "en"))
TEMPLATE_DIR = "mail"
MACROS = f"{TEMPLATE_DIR}/_macros.txt"
SUBJECT_TITLE_MAX = 80  # a title longer than this is shortened in subjects (bodies keep it whole)
_ENV_KEY = "platform_mgr.texts"


@dataclass(frozen=True)
class Texts:
    """A notification's texts in both languages: the `Notification` text columns."""

    subject_zh: str
    subject_en: str
    body_zh: str
    body_en: str

    def fields(self) -> dict[str, str]:
        return asdict(self)


def _is_en(lang: str | None) -> bool:
    return bool(lang) and str(lang).lower().startswith("en")


def locale_of(lang: str | None) -> str:
    """The catalog locale for a user's preferred language ('en…' → en, anything else → zh_Hans_CN)."""
    return "en" if _is_en(lang) else "zh_Hans_CN"


# --- gettext -------------------------------------------------------------------------------------------
# Flask-Babel's catalog of the current locale, looked up once per language by `render_many` rather than on
# every one of the tens of thousands of calls a tick's texts make; elsewhere, Flask-Babel's lookup as usual.

_CATALOG: ContextVar[Any] = ContextVar("platform_mgr_texts_catalog", default=None)


def _catalog():
    catalog = _CATALOG.get()
    return catalog if catalog is not None else get_translations()


def gettext(string: str, **variables: Any) -> str:
    text = _catalog().ugettext(string)
    return text % variables if variables else text


def pgettext(context: str, string: str, **variables: Any) -> str:
    text = _catalog().upgettext(context, string)
    return text % variables if variables else text


# --- formatting: dates, instants and lists, in the current locale -------------------------------------

def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=timezone.utc)


def format_day(value: date | datetime) -> str:
    """A date (a datetime: its Beijing date) — 2026年12月1日 / 2026-12-01."""
    if isinstance(value, datetime):
        value = _aware(value).astimezone(SHANGHAI).date()
    # TRANSLATORS: how a date is written; keep the placeholders
    return gettext("%(year)04d-%(month)02d-%(day)02d", year=value.year, month=value.month, day=value.day)


def format_moment(value: datetime) -> str:
    """An instant on the Beijing clock — 2026年12月1日 08:00（北京时间） / 2026-12-01 08:00 (Beijing time, UTC+8)."""
    local = _aware(value).astimezone(SHANGHAI)
    day, clock_time = format_day(local.date()), local.strftime("%H:%M")
    return gettext("%(date)s %(time)s (Beijing time, UTC+8)", date=day, time=clock_time)


def series(items: Iterable[Any]) -> str:
    """BCI、SIPH / BCI, SIPH."""
    return pgettext("list separator", ", ").join(str(item) for item in items)


def clauses(items: Iterable[Any]) -> str:
    """Items that are phrases themselves: …；… / …; …."""
    return pgettext("clause separator", "; ").join(str(item) for item in items)


def shorten(title: Any, limit: int = SUBJECT_TITLE_MAX) -> str:
    title = " ".join(str(title).split())
    return title if len(title) <= limit else title[: limit - 1] + "…"


def id_ref(value: Any) -> str:
    return f"#{value}"


def upper_first(text: Any) -> str:
    text = str(text)
    return text[:1].upper() + text[1:]


FILTERS = {"moment": format_moment, "day": format_day, "series": series, "clauses": clauses, "short": shorten,
           "id_ref": id_ref, "upper_first": upper_first}


# --- rendering -----------------------------------------------------------------------------------------

def environment() -> Environment:
    """The app's template environment for plain text: no HTML escaping, block tags leave no blank lines,
    an unknown name is an error rather than an empty string, the filters above and ``m``. Made once per app."""
    app = current_app._get_current_object()
    env = app.extensions.get(_ENV_KEY)
    if env is None:
        env = app.jinja_env.overlay(autoescape=False, trim_blocks=True, lstrip_blocks=True, undefined=StrictUndefined)
        env.filters = {**app.jinja_env.filters, **FILTERS}  # the overlay would share (and change) the app's dicts
        env.globals = dict(app.jinja_env.globals)
        env.install_gettext_callables(  # Flask-Babel's, through the catalog looked up once per language
            gettext=lambda s: _catalog().ugettext(s), ngettext=lambda s, p, n: _catalog().ungettext(s, p, n),
            pgettext=lambda c, s: _catalog().upgettext(c, s),
            npgettext=lambda c, s, p, n: _catalog().unpgettext(c, s, p, n), newstyle=True)
        env.globals["m"] = env.get_template(MACROS).module  # loaded once, not imported on every render
        app.extensions[_ENV_KEY] = env
    return env


def template_for(kind: str) -> Template:
    template = environment().get_template(f"{TEMPLATE_DIR}/{kind}.txt")
    for name in ("subject", "body"):
        if name not in template.blocks:
            raise LookupError(f"{template.name} has no {{% block {name} %}}")
    return template


def _render(template: Template, context: Mapping[str, Any]) -> tuple[str, str]:
    """(subject, body): the two blocks, rendered with one context."""
    ctx = template.new_context(dict(context))
    subject = "".join(template.blocks["subject"](ctx))
    body = "".join(template.blocks["body"](ctx))
    return " ".join(subject.split()), body.strip()


def render_many(items: Iterable[tuple[str, Mapping[str, Any]]]) -> list[Texts]:
    """The texts of many (kind, context) pairs, in order: each language is entered once for the whole batch."""
    items = [(str(kind), context) for kind, context in items]
    if not items:
        return []
    templates = {kind: template_for(kind) for kind in dict.fromkeys(kind for kind, _ctx in items)}
    by_lang: dict[str, list[tuple[str, str]]] = {}
    for lang, locale in LOCALES:
        with force_locale(locale):
            token = _CATALOG.set(get_translations())
            try:
                by_lang[lang] = [_render(templates[kind], context) for kind, context in items]
            finally:
                _CATALOG.reset(token)
    return [Texts(subject_zh=zh[0], subject_en=en[0], body_zh=zh[1], body_en=en[1])
            for zh, en in zip(by_lang["zh"], by_lang["en"])]


def render(kind: str, context: Mapping[str, Any]) -> Texts:
    """The texts of one notification of ``kind`` made from ``context``."""
    return render_many([(kind, context)])[0]
