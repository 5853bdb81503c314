"""Configuration from the environment (DESIGN §7).

Nothing here touches the database or the filesystem at import time; `create_app`
resolves paths and the secret key when an app is built.
"""
from __future__ import annotations

import os
import secrets
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _int_env(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw in (None, ""):
        return default
    try:
        return int(raw)
    except ValueError as exc:  # a clear message beats a traceback deep in Flask
        raise RuntimeError(f"environment variable {name} must be an integer, got {raw!r}") from exc


class Config:
    """Defaults for a single-machine install; every value can come from the environment."""

    INSTANCE_PATH = os.environ.get("INSTANCE_PATH") or str(ROOT / "instance")
    DATABASE_URL = os.environ.get("DATABASE_URL") or ""  # empty: SQLite file in the instance folder
    SECRET_KEY = os.environ.get("SECRET_KEY") or ""  # empty: generated once into the instance folder
    UPLOAD_DIR = os.environ.get("UPLOAD_DIR") or ""  # empty: instance/uploads
    MAX_UPLOAD_MB = _int_env("MAX_UPLOAD_MB", 20)

    MAIL_SERVER = os.environ.get("MAIL_SERVER") or ""
    MAIL_PORT = _int_env("MAIL_PORT", 25)
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME") or ""
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD") or ""
    MAIL_USE_TLS = (os.environ.get("MAIL_USE_TLS") or "").lower() in ("1", "true", "yes")
    MAIL_FROM = os.environ.get("MAIL_FROM") or "platform-mgr@localhost"

    BABEL_DEFAULT_LOCALE = "zh_Hans_CN"
    BABEL_DEFAULT_TIMEZONE = "Asia/Shanghai"
    LANGUAGES = ("zh_Hans_CN", "en")

    # behind N reverse proxies (nginx …): PROXY_FIX=N trusts their X-Forwarded-For/-Proto/-Host (HSTS, secure
    # cookies and the per-address sign-in limit then see the real client). 0: the headers are ignored.
    PROXY_FIX = _int_env("PROXY_FIX", 0)

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = (os.environ.get("SESSION_COOKIE_SECURE") or "").lower() in ("1", "true", "yes")
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"

    WTF_CSRF_TIME_LIMIT = None  # tokens live as long as the session
    BOOTSTRAP_SERVE_LOCAL = True  # never a CDN: the app runs on isolated networks

    LOGIN_MAX_FAILURES = 10
    LOGIN_WINDOW_MINUTES = 15
    LOGIN_IP_MAX_FAILURES = 50

    SQL_ECHO = False
    TESTING = False


class TestConfig(Config):
    TESTING = True
    WTF_CSRF_ENABLED = False
    SECRET_KEY = "test-secret-key"  # noqa: S105 - test only


def load_secret_key(instance_path: str) -> str:
    """Return the instance's secret key, generating it once (mode 0600) when missing."""
    path = Path(instance_path) / "secret_key"
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
