"""Configuration (DESIGN §7): fixed values in ``Config``, the operator's settings from the environment.

``Settings`` lists every variable an installation may set (README, "Configuration (environment)"); it is
read through pydantic-settings when an app is built (``app_config``, called by ``create_app``), never at
import time, so a test that sets a variable sees it and no test sees another's. A malformed value stops
the start-up with a ``ConfigError`` naming the variable and the value. An empty value means unset.

Nothing here touches the database or the filesystem; ``create_app`` resolves paths and the secret key.
"""
from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any

from pydantic import AfterValidator, Field, ValidationError
from pydantic_core import PydanticCustomError
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from .domain.schedule import DEFAULT_TICK_MINUTES

ROOT = Path(__file__).resolve().parent.parent


class ConfigError(RuntimeError):
    """A setting in the environment is malformed; the message names the variable and its value."""


def _database_url(value: str) -> str:
    if value:
        from sqlalchemy.engine import make_url
        from sqlalchemy.exc import ArgumentError

        try:
            make_url(value)
        except ArgumentError:
            raise PydanticCustomError("config", "a database URL such as postgresql+psycopg://user@host/db") from None
    return value


def _base_url(value: str) -> str:
    value = value.strip().rstrip("/")
    if value and not value.startswith(("http://", "https://")):
        raise PydanticCustomError("config", "an http:// or https:// address such as https://pm.example.gov.cn")
    return value


def _ldap_url(value: str) -> str:
    value = value.strip()
    if value and not value.startswith(("ldap://", "ldaps://")):
        raise PydanticCustomError("config", "an ldap:// or ldaps:// address such as ldaps://ldap.example.gov.cn")
    return value


def _ldap_filter(value: str) -> str:
    value = value.strip()
    if not (value.startswith("(") and value.endswith(")") and "{login}" in value
            and value.count("(") == value.count(")")):
        raise PydanticCustomError("config", "an LDAP filter in parentheses with {login}, such as (uid={login})")
    return value


def _oidc_scopes(value: str) -> str:
    value = " ".join(value.split())
    if "openid" not in value.split():
        raise PydanticCustomError("config", "space-separated scopes including openid, such as openid email profile")
    return value


Positive = Annotated[int, Field(gt=0)]


class Settings(BaseSettings):
    """The variables an installation sets, with their defaults. Names are the environment variables'."""

    model_config = SettingsConfigDict(case_sensitive=True, env_ignore_empty=True, frozen=True)

    INSTANCE_PATH: str = ""  # empty: instance/ beside the code
    DATABASE_URL: Annotated[str, AfterValidator(_database_url)] = ""  # empty: SQLite file in the instance folder
    SECRET_KEY: str = ""  # empty: generated once into the instance folder
    # the audit chain's HMAC key (services/audit.py): never in the database nor in its backups
    AUDIT_KEY: str = ""  # empty: generated once into the instance folder (instance/audit_key)
    AUDIT_CHECKPOINT_DIR: str = ""  # empty: instance/audit-checkpoints
    UPLOAD_DIR: str = ""  # empty: instance/uploads
    MAX_UPLOAD_MB: Positive = 20
    # a JSON body is checked against these before it is parsed (bounds.py); beyond them: 400 invalid_body
    MAX_JSON_KB: Positive = 1024
    MAX_JSON_DEPTH: Positive = 32
    # an Office upload (a ZIP archive) is checked from its central directory (services/evidence.py); beyond: 422
    MAX_ZIP_ENTRIES: Positive = 10_000
    MAX_ZIP_UNCOMPRESSED_MB: Positive = 200  # the sizes the archive declares, added up
    MAX_ZIP_RATIO: Positive = 100  # unpacked size over compressed size, of an entry and of the whole file

    MAIL_SERVER: str = ""  # empty: no mail, notifications stay in the app
    MAIL_PORT: Annotated[int, Field(gt=0, le=65535)] = 25
    MAIL_USERNAME: str = ""
    MAIL_PASSWORD: str = ""
    MAIL_USE_TLS: bool = False
    MAIL_USE_SSL: bool = False
    MAIL_FROM: str = "platform-mgr@localhost"
    MAIL_TIMEOUT: Annotated[float, Field(gt=0, allow_inf_nan=False)] = 30.0
    BASE_URL: Annotated[str, AfterValidator(_base_url)] = ""  # links in the mails; trailing slash stripped

    SCHEDULER_TICK_MINUTES: Positive = DEFAULT_TICK_MINUTES

    # who issues the public notice (DESIGN §13): its signature, the site's footer and the sign-in page
    ISSUER_NAME_ZH: str = "上海市科学技术委员会"
    ISSUER_NAME_EN: str = "Shanghai Municipal Science and Technology Commission"

    # behind N reverse proxies (nginx …): PROXY_FIX=N trusts their X-Forwarded-For/-Proto/-Host (HSTS, secure
    # cookies and the per-address sign-in limit then see the real client). 0: the headers are ignored.
    PROXY_FIX: Annotated[int, Field(ge=0)] = 0
    SESSION_COOKIE_SECURE: bool = False
    SESSION_IDLE_MINUTES: Positive = 480  # a web session without a request for this long ends on the server

    # directory sign-in (DESIGN §9), off unless LDAP_URL / OIDC_ISSUER are set: services/directory.py
    LDAP_URL: Annotated[str, AfterValidator(_ldap_url)] = ""
    LDAP_BASE_DN: str = ""  # where people are searched (required with LDAP_URL)
    LDAP_USER_FILTER: Annotated[str, AfterValidator(_ldap_filter)] = "(|(uid={login})(mail={login}))"
    LDAP_BIND_DN: str = ""  # empty: the search is anonymous
    LDAP_BIND_PASSWORD: str = ""
    LDAP_EMAIL_ATTRIBUTE: str = "mail"
    LDAP_START_TLS: bool = False
    LDAP_TIMEOUT: Annotated[float, Field(gt=0, allow_inf_nan=False)] = 10.0
    OIDC_ISSUER: Annotated[str, AfterValidator(_base_url)] = ""  # its /.well-known/openid-configuration is read
    OIDC_CLIENT_ID: str = ""
    OIDC_CLIENT_SECRET: str = ""
    OIDC_LABEL_ZH: str = "统一身份认证"
    OIDC_LABEL_EN: str = "Unified identity"
    OIDC_SCOPES: Annotated[str, AfterValidator(_oidc_scopes)] = "openid email profile"

    @classmethod
    def settings_customise_sources(cls, settings_cls, init_settings, env_settings, dotenv_settings,
                                   file_secret_settings) -> tuple[PydanticBaseSettingsSource, ...]:
        return (env_settings,)  # the environment only: no .env file, no secrets directory


def _expected(error: Mapping[str, Any]) -> str:
    """What a variable must be, in words, from one pydantic error."""
    kind, ctx = error["type"], error.get("ctx") or {}
    if kind in ("int_parsing", "int_from_float", "int_type"):
        return "an integer"
    if kind in ("float_parsing", "float_type"):
        return "a number"
    if kind == "finite_number":
        return "a finite number"
    if kind in ("bool_parsing", "bool_type"):
        return "one of 1, 0, true, false, yes, no"
    if kind == "greater_than":
        return f"greater than {ctx['gt']:g}"
    if kind == "greater_than_equal":
        return f"at least {ctx['ge']:g}"
    if kind == "less_than_equal":
        return f"at most {ctx['le']:g}"
    return str(error["msg"])  # our own validators' messages ("config") say it themselves


#: a variable that is needed once another is set: (the one set, the one needed)
REQUIRED_WITH = (("LDAP_URL", "LDAP_BASE_DN"), ("OIDC_ISSUER", "OIDC_CLIENT_ID"))


def load_settings() -> Settings:
    """The settings from the environment as it is now; ConfigError naming each malformed variable."""
    try:
        settings = Settings()
    except ValidationError as exc:
        raw = os.environ
        problems = [f"environment variable {error['loc'][0]} must be {_expected(error)}, "
                    f"got {raw.get(str(error['loc'][0]), error.get('input'))!r}" for error in exc.errors()]
        raise ConfigError("\n".join(problems)) from None
    missing = [f"environment variable {needed} must be set when {given} is set"
               for given, needed in REQUIRED_WITH if getattr(settings, given) and not getattr(settings, needed)]
    if missing:
        raise ConfigError("\n".join(missing))
    return settings


def _defaults() -> dict[str, Any]:
    return {name: field.default for name, field in Settings.model_fields.items()}


class Config:
    """Fixed values for every installation; ``Settings`` adds the environment's when an app is built."""

    # read Settings from the environment when an app is built; TestConfig turns it off so that a test's
    # app never depends on the shell that runs the suite (its defaults are used instead)
    SETTINGS_FROM_ENVIRONMENT = True

    BABEL_DEFAULT_LOCALE = "zh_Hans_CN"
    BABEL_DEFAULT_TIMEZONE = "Asia/Shanghai"
    LANGUAGES = ("zh_Hans_CN", "en")

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_DURATION = 30 * 24 * 3600  # seconds; the server session still ends when idle

    WTF_CSRF_TIME_LIMIT = None  # tokens live as long as the session
    BOOTSTRAP_SERVE_LOCAL = True  # never a CDN: the app runs on isolated networks

    # sign-in throttling (domain/throttle.py): per (account, address) the first LOGIN_FREE_FAILURES failures within
    # LOGIN_DELAY_WINDOW_MINUTES are free, then each one makes the pair wait 1 s, 2 s, 4 s … at most
    # LOGIN_MAX_DELAY_MINUTES; an address on which more than LOGIN_ADDRESS_MAX_ACCOUNTS distinct accounts failed
    # within LOGIN_ADDRESS_WINDOW_MINUTES is blocked until enough of them are older than that window
    LOGIN_FREE_FAILURES = 3
    LOGIN_FIRST_DELAY_SECONDS = 1
    LOGIN_MAX_DELAY_MINUTES = 15
    LOGIN_DELAY_WINDOW_MINUTES = 60
    LOGIN_ADDRESS_MAX_ACCOUNTS = 20
    LOGIN_ADDRESS_WINDOW_MINUTES = 15

    SQL_ECHO = False
    TESTING = False


class TestConfig(Config):
    SETTINGS_FROM_ENVIRONMENT = False
    TESTING = True
    WTF_CSRF_ENABLED = False
    SECRET_KEY = "test-secret-key"  # noqa: S105 - test only
    AUDIT_KEY = "test-audit-key"  # noqa: S105 - test only


def app_config(config: type | Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Everything an app is built with: ``Config``, then the settings (from the environment unless the
    config given turns that off), then the config given — a class like ``TestConfig`` (its upper-case
    attributes) or a mapping of overrides. INSTANCE_PATH is resolved; ConfigError for a malformed variable."""
    if config is None:
        given: dict[str, Any] = {}
    elif isinstance(config, Mapping):
        given = dict(config)
    else:
        given = {name: getattr(config, name) for name in dir(config) if name.isupper()}
    values = {name: getattr(Config, name) for name in dir(Config) if name.isupper()}
    if given.get("SETTINGS_FROM_ENVIRONMENT", Config.SETTINGS_FROM_ENVIRONMENT):
        values.update(load_settings().model_dump())
    else:
        values.update(_defaults())
    values.update(given)
    values["INSTANCE_PATH"] = values.get("INSTANCE_PATH") or str(ROOT / "instance")
    return values


def load_secret_key(instance_path: str, name: str = "secret_key") -> str:
    """Return the instance's key ``name`` (``secret_key``, ``audit_key``), generating it once (mode 0600) when
    missing; two workers starting together read the same key."""
    path = Path(instance_path) / name
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another worker won the race: use its key
        return path.read_text().strip()
    try:
        os.write(fd, key.encode())
    finally:
        os.close(fd)
    return key
