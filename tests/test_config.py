"""Configuration from the environment (README "Configuration (environment)", platform_mgr/config.py).

Each variable of the table is set in the environment, an app is built as ``wsgi`` builds it
(``create_app()``), and the test checks what the app then does differently from the default. A malformed
value stops the start-up with a message naming the variable and the value. The README's table and the
``Settings`` model name the same variables, so the documentation cannot drift from the code.
"""
from __future__ import annotations

import io
import re
import smtplib
import sqlite3
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import text

from platform_mgr import create_app, security
from platform_mgr.config import ROOT, ConfigError, Settings, TestConfig
from platform_mgr.db import dispose_engines, get_engine, new_session
from platform_mgr.jobs.scheduler import build_scheduler
from platform_mgr.jobs.tasks import run_tick
from platform_mgr.services import notifications

from .factories import FROZEN_AT
from .processes import child_env

SETTINGS = sorted(Settings.model_fields)
MAKEFILE_VARIABLES = {"PORT"}  # in the table, read by the Makefile (`make run`), not by the app
PDF = b"%PDF-1.4\n1 0 obj\n%%EOF\n"
HSTS = "Strict-Transport-Security"


@pytest.fixture
def env(monkeypatch, tmp_path, database_url, app):
    """``env(NAME=value, …)`` sets variables and builds an app from the environment, as ``wsgi`` does.

    It starts from an environment with none of the settings (whatever the shell running the tests
    exports), the test database as DATABASE_URL and an instance folder of the test's own. (It needs the
    ``app`` fixture for the clean tables that ``make`` writes to.)"""
    for name in SETTINGS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("INSTANCE_PATH", str(tmp_path / "instance"))

    def build(**variables: str):
        for name, value in variables.items():
            monkeypatch.setenv(name, value)
        return create_app()

    return build


# --- the database, the secret key, the instance folder -------------------------------------------------

def _write_marker(app) -> None:
    with app.app_context():
        with get_engine().begin() as conn:
            conn.execute(text("CREATE TABLE config_marker (x INTEGER)"))


def _tables(path: Path) -> list[str]:
    with sqlite3.connect(path) as conn:
        return [name for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]


def test_database_url_is_the_database_the_app_writes_to(env, tmp_path):
    path = tmp_path / "elsewhere.sqlite3"
    app = env(DATABASE_URL=f"sqlite:///{path}")
    try:
        _write_marker(app)
        assert _tables(path) == ["config_marker"]
        assert not (tmp_path / "instance" / "platform_mgr.sqlite3").exists()
    finally:
        dispose_engines()


def test_instance_path_holds_the_default_database_and_the_generated_secret_key(env, monkeypatch, tmp_path):
    monkeypatch.delenv("DATABASE_URL")
    folder = tmp_path / "another-instance"
    app = env(INSTANCE_PATH=str(folder))
    try:
        _write_marker(app)
        assert _tables(folder / "platform_mgr.sqlite3") == ["config_marker"]
        assert (folder / "secret_key").read_text().strip() == app.config["SECRET_KEY"]
        assert len(app.config["SECRET_KEY"]) == 64
        assert not (tmp_path / "instance").exists()
    finally:
        dispose_engines()


def _session_cookie_in_english(app) -> str:
    client = app.test_client()
    client.get("/login?lang=en", expect=200)  # the chosen language is kept in the signed session cookie
    return client.get_cookie("session").value


def _page_language(app, cookie: str) -> str:
    client = app.test_client()
    client.set_cookie("session", cookie)
    html = client.get("/login", expect=200).get_data(as_text=True)
    return "en" if "Sign in" in html else "zh" if "登录" in html else "?"


def test_secret_key_signs_the_session(env, tmp_path):
    cookie = _session_cookie_in_english(env(SECRET_KEY="the-first-key-of-this-installation"))
    assert _page_language(env(SECRET_KEY="the-first-key-of-this-installation"), cookie) == "en"  # another worker
    assert _page_language(env(SECRET_KEY="some-other-key"), cookie) == "zh"  # refused: a fresh session
    assert not (tmp_path / "instance" / "secret_key").exists()  # nothing generated when it is set


def test_without_secret_key_one_is_generated_and_shared_by_the_workers(env, tmp_path):
    cookie = _session_cookie_in_english(env())
    assert _page_language(env(), cookie) == "en"
    assert (tmp_path / "instance" / "secret_key").exists()


# --- uploads ---------------------------------------------------------------------------------------

def _upload(app, make, size: int):
    """POST a PDF of about ``size`` bytes as a milestone's evidence through the API of ``app``."""
    platform = make.platform()
    operator = make.operator(platform)
    milestone = make.milestone(make.project(platform))
    token = make.token(operator)
    data = PDF + b"x" * max(size - len(PDF), 0)
    return app.test_client().post(f"/api/v1/milestones/{milestone.id}/evidence",
                                  data={"file": (io.BytesIO(data), "report.pdf")},
                                  headers={"Authorization": f"Bearer {token}", "Accept": "application/json"})


def test_upload_dir_is_where_evidence_is_stored(env, make, tmp_path):
    folder = tmp_path / "evidence-store"
    response = _upload(env(UPLOAD_DIR=str(folder)), make, 1000)
    assert response.status_code == 201, response.get_json()
    stored = [p for p in folder.rglob("*") if p.is_file()]
    assert len(stored) == 1 and stored[0].read_bytes().startswith(PDF)
    assert not (tmp_path / "instance" / "uploads").exists()


def test_upload_dir_defaults_to_the_instance_folder(env, make, tmp_path):
    assert _upload(env(), make, 1000).status_code == 201
    assert len([p for p in (tmp_path / "instance" / "uploads").rglob("*") if p.is_file()]) == 1


@pytest.mark.parametrize("variables,size,status", [
    ({}, 3 * 1024 * 1024, 201),                        # default: 20 MB
    ({"MAX_UPLOAD_MB": "2"}, 3 * 1024 * 1024, 413),
    ({"MAX_UPLOAD_MB": "2"}, 1024 * 1024 + 512 * 1024, 201),
])
def test_max_upload_mb_is_the_size_refused(env, make, variables, size, status):
    response = _upload(env(**variables), make, size)
    assert response.status_code == status, response.get_json()
    if status == 413:
        assert response.get_json()["error"]["code"] == "too_large"


def test_max_json_kb_and_max_json_depth_bound_a_json_body(env, make):
    app = env(MAX_JSON_KB="1", MAX_JSON_DEPTH="2")
    platform = make.platform()
    headers = {"Authorization": f"Bearer {make.token(make.admin())}", "Accept": "application/json"}

    def patch(body: str):
        res = app.test_client().patch(f"/api/v1/platforms/{platform.id}", data=body, content_type="application/json",
                                      headers=headers)
        return res.status_code, res.get_json()["error"]["code"], sorted(res.get_json()["error"]["fields"])

    assert patch('{"extra": {"a": 1}}') == (422, "invalid", ["extra"])  # 2 levels: parsed
    assert patch('{"extra": {"a": [1]}}') == (400, "invalid_body", ["body"])  # 3 levels
    assert patch('{"extra": "' + "x" * 1024 + '"}') == (400, "invalid_body", ["body"])  # over 1 KB


def test_max_zip_settings_bound_an_office_upload(env, make):
    import zipfile

    from platform_mgr.services.evidence import ZipLimits, zip_limits

    app = env(MAX_ZIP_ENTRIES="3", MAX_ZIP_UNCOMPRESSED_MB="1", MAX_ZIP_RATIO="2")
    assert zip_limits(app.config) == ZipLimits(max_entries=3, max_total_bytes=1024 * 1024, max_ratio=2)
    platform = make.platform()
    milestone = make.milestone(make.project(platform))
    headers = {"Authorization": f"Bearer {make.token(make.operator(platform))}", "Accept": "application/json"}

    def upload(*parts: str):
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as archive:
            for name in ("[Content_Types].xml", "word/document.xml", *parts):
                archive.writestr(name, "<x/>")
        res = app.test_client().post(f"/api/v1/milestones/{milestone.id}/evidence", headers=headers,
                                     data={"file": (io.BytesIO(buf.getvalue()), "a.docx")})
        return res.status_code, sorted(res.get_json().get("error", {}).get("fields", {}))

    assert upload("word/a.xml") == (201, [])
    assert upload("word/a.xml", "word/b.xml") == (422, ["file"])


# --- mail ------------------------------------------------------------------------------------------

class Smtp:
    """What the fake SMTP classes saw: the connections (class, host, port, timeout), the commands, the mails."""

    def __init__(self):
        self.connections: list[tuple[str, str, int, float | None]] = []
        self.commands: list[tuple] = []
        self.sent: list = []

    def fake(self, kind: str):
        record = self

        class FakeSMTP:
            def __init__(self, host, port=0, timeout=None, **_kw):
                record.connections.append((kind, host, port, timeout))

            def starttls(self, *args, **kwargs):
                record.commands.append(("starttls",))
                return (220, b"ready")

            def login(self, user, password):
                record.commands.append(("login", user, password))
                return (235, b"ok")

            def send_message(self, msg):
                record.sent.append(msg)

            def quit(self):
                pass

            def close(self):
                pass

        return FakeSMTP


@pytest.fixture
def smtp(monkeypatch):
    """smtplib.SMTP and smtplib.SMTP_SSL replaced by recorders (no network): the app picks the class itself."""
    record = Smtp()
    monkeypatch.setattr(smtplib, "SMTP", record.fake("SMTP"))
    monkeypatch.setattr(smtplib, "SMTP_SSL", record.fake("SMTP_SSL"))
    return record


def _mail_one(app, make, smtp: Smtp):
    """A notification with a link, then the scheduler's mail job, in ``app``; the mails that went out."""
    before = len(smtp.sent)
    user = make.operator(preferred_lang="en")
    with app.app_context():
        with new_session() as s:
            notifications.create(s, recipient_id=user.id, kind="milestone_due_3d", subject_zh="里程碑提醒",
                                 subject_en="Milestone reminder", body_zh="请按时完成。", body_en="Please finish on time.",
                                 dedup_key=f"config-test-{user.id}", link="/projects/7", now=FROZEN_AT)
            s.commit()
        run_tick(FROZEN_AT, only=["mail"])
    return smtp.sent[before:]


def test_mail_server_turns_mail_on(env, make, smtp):
    assert _mail_one(env(), make, smtp) == [] and smtp.connections == []  # default: in-app only
    [mail] = _mail_one(env(MAIL_SERVER="smtp.commission.example"), make, smtp)
    assert smtp.connections == [("SMTP", "smtp.commission.example", 25, 30.0)]
    assert mail["Subject"] == "Milestone reminder / 里程碑提醒"


def test_an_empty_mail_server_means_no_mail(env, make, smtp):
    assert _mail_one(env(MAIL_SERVER=""), make, smtp) == [] and smtp.connections == []


def test_mail_port(env, make, smtp):
    _mail_one(env(MAIL_SERVER="smtp.commission.example", MAIL_PORT="2525"), make, smtp)
    assert smtp.connections == [("SMTP", "smtp.commission.example", 2525, 30.0)]


def test_mail_timeout_is_given_to_the_smtp_connection(env, make, smtp):
    _mail_one(env(MAIL_SERVER="smtp.commission.example", MAIL_TIMEOUT="7.5"), make, smtp)
    assert smtp.connections == [("SMTP", "smtp.commission.example", 25, 7.5)]


def test_mail_use_ssl_connects_with_smtp_ssl(env, make, smtp):
    _mail_one(env(MAIL_SERVER="smtp.commission.example", MAIL_PORT="465", MAIL_USE_SSL="yes"), make, smtp)
    assert smtp.connections == [("SMTP_SSL", "smtp.commission.example", 465, 30.0)]
    assert smtp.commands == []  # no STARTTLS inside TLS


def test_mail_use_tls_starts_tls(env, make, smtp):
    _mail_one(env(MAIL_SERVER="smtp.commission.example"), make, smtp)
    assert smtp.commands == []
    _mail_one(env(MAIL_USE_TLS="true"), make, smtp)
    assert smtp.commands == [("starttls",)]
    assert [c[0] for c in smtp.connections] == ["SMTP", "SMTP"]


def test_mail_username_and_password_sign_in(env, make, smtp):
    _mail_one(env(MAIL_SERVER="smtp.commission.example", MAIL_PASSWORD="not-used-without-a-name"), make, smtp)
    assert smtp.commands == []
    _mail_one(env(MAIL_USERNAME="platform-mgr", MAIL_PASSWORD="s3cret"), make, smtp)
    assert smtp.commands == [("login", "platform-mgr", "s3cret")]


def test_mail_from_is_the_sender(env, make, smtp):
    [default] = _mail_one(env(MAIL_SERVER="smtp.commission.example"), make, smtp)
    assert default["From"] == "platform-mgr@localhost"
    [mail] = _mail_one(env(MAIL_FROM="noreply@commission.example"), make, smtp)
    assert mail["From"] == "noreply@commission.example"
    assert mail["Message-ID"].endswith("@commission.example>")


def test_base_url_adds_links_to_the_mails(env, make, smtp):
    [plain] = _mail_one(env(MAIL_SERVER="smtp.commission.example"), make, smtp)
    assert "/projects/7" not in plain.get_content()
    [linked] = _mail_one(env(BASE_URL="https://pm.example.gov.cn/"), make, smtp)  # the trailing slash goes
    assert linked.get_content().rstrip().endswith("\n\nhttps://pm.example.gov.cn/projects/7")


# --- the scheduler ---------------------------------------------------------------------------------

def _tick_interval(app) -> timedelta:
    scheduler = build_scheduler(app, lock=object())  # a lock of its own: no database needed to build it
    return scheduler.get_job("tick").trigger.interval


def test_scheduler_tick_minutes_is_the_interval_of_the_tick(env):
    assert _tick_interval(env()) == timedelta(minutes=5)
    assert _tick_interval(env(SCHEDULER_TICK_MINUTES="7")) == timedelta(minutes=7)


# --- the web server --------------------------------------------------------------------------------

def test_proxy_fix_trusts_the_proxys_headers(env):
    direct = env().test_client()
    assert HSTS not in direct.get("/login", headers={"X-Forwarded-Proto": "https"}, expect=200).headers
    proxied = env(PROXY_FIX="1").test_client()
    assert HSTS in proxied.get("/login", headers={"X-Forwarded-Proto": "https"}, expect=200).headers
    assert HSTS not in proxied.get("/login", headers={"X-Forwarded-Proto": "http"}, expect=200).headers


def _session_cookie_header(app) -> str:
    response = app.test_client().get("/login?lang=en", expect=200)
    return next(h for h in response.headers.getlist("Set-Cookie") if h.startswith("session="))


def test_session_cookie_secure(env):
    assert "; Secure" not in _session_cookie_header(env())
    assert "; Secure" in _session_cookie_header(env(SESSION_COOKIE_SECURE="1"))


def _remember_cookie_header(app, make) -> str:
    app.config["WTF_CSRF_ENABLED"] = False  # an app built from the environment checks CSRF; not the question here
    user = make.admin(password_hash=security.hash_password("Passw0rd!x"))
    response = app.test_client().post("/login", data={"email": user.email, "password": "Passw0rd!x",
                                                      "remember": "y"}, expect=302)
    return next(h for h in response.headers.getlist("Set-Cookie") if h.startswith("remember_token="))


def test_the_remember_me_cookie_has_the_session_cookies_flags(env, make):
    plain = _remember_cookie_header(env(), make)
    assert "; HttpOnly" in plain and "; SameSite=Lax" in plain and "; Secure" not in plain
    secure = _remember_cookie_header(env(SESSION_COOKIE_SECURE="1"), make)
    assert "; HttpOnly" in secure and "; SameSite=Lax" in secure and "; Secure" in secure


def _still_signed_in_after(app, make, frozen_clock, minutes: int) -> bool:
    app.config["WTF_CSRF_ENABLED"] = False
    user = make.admin(password_hash=security.hash_password("Passw0rd!x"))
    client = app.test_client()
    client.post("/login", data={"email": user.email, "password": "Passw0rd!x"}, expect=302)
    client.get("/home", expect=200)
    frozen_clock.shift(timedelta(minutes=minutes))
    return client.get("/home", expect=None).status_code == 200


def test_session_idle_minutes_ends_a_session_without_requests(env, make, frozen_clock):
    assert _still_signed_in_after(env(), make, frozen_clock, 6)  # default 480
    assert not _still_signed_in_after(env(SESSION_IDLE_MINUTES="5"), make, frozen_clock, 6)
    assert _still_signed_in_after(env(SESSION_IDLE_MINUTES="5"), make, frozen_clock, 4)


def _make_run(variables: dict[str, str]) -> str:
    """What `make run` would run (make -n prints the commands without running them)."""
    environment = {k: v for k, v in child_env(**variables).items() if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL")}
    done = subprocess.run(["make", "-n", "run"], cwd=ROOT, env=environment, capture_output=True, text=True,
                          timeout=60, check=True)
    return done.stdout


def test_port_is_where_make_run_serves():
    assert "--port 5000" in _make_run({}) and "--port 8123" not in _make_run({})
    assert "--port 8123" in _make_run({"PORT": "8123"})


# --- directory sign-in (DESIGN §9): against the real servers of tests/directory_servers.py -----------------

def _env_values(config: dict) -> dict[str, str]:
    return {name: ("1" if value is True else "0" if value is False else str(value)) for name, value in config.items()}


def _ldap_sign_in(app, login: str, password: str) -> int:
    app.config["WTF_CSRF_ENABLED"] = False  # an app built from the environment checks CSRF; not the question here
    return app.test_client().post("/login/ldap", data={"ldap-login": login, "ldap-password": password}).status_code


def test_ldap_variables_turn_ldap_sign_in_on(env, make, ldap_server):
    from .directory_servers import LDAP_PEOPLE

    mail, password = LDAP_PEOPLE["ldap.invited"]
    make.reviewer(email=mail)
    assert 'id="ldap-sign-in"' not in env().test_client().get("/login", expect=200).get_data(as_text=True)
    app = env(**_env_values(ldap_server.config()))  # LDAP_URL, LDAP_BASE_DN, LDAP_BIND_DN, LDAP_BIND_PASSWORD …
    assert 'id="ldap-sign-in"' in app.test_client().get("/login", expect=200).get_data(as_text=True)
    assert _ldap_sign_in(app, "ldap.invited", password) == 302
    assert _ldap_sign_in(app, mail, password) == 302  # the default filter takes the uid or the mail
    assert _ldap_sign_in(env(LDAP_USER_FILTER="(uid={login})"), mail, password) == 401
    assert _ldap_sign_in(env(LDAP_BIND_PASSWORD="wrong"), "ldap.invited", password) == 503
    assert _ldap_sign_in(env(LDAP_BIND_DN="", LDAP_BIND_PASSWORD=""), "ldap.invited", password) == 302  # anonymous
    assert _ldap_sign_in(env(LDAP_EMAIL_ATTRIBUTE="cn"), "ldap.stranger", "x") == 401
    assert _ldap_sign_in(env(LDAP_EMAIL_ATTRIBUTE="cn"), "ldap.stranger", LDAP_PEOPLE["ldap.stranger"][1]) == 403
    assert _ldap_sign_in(env(LDAP_START_TLS="1"), "ldap.invited", password) == 503  # this slapd offers no TLS
    assert env(LDAP_TIMEOUT="2.5").config["LDAP_TIMEOUT"] == 2.5


def test_oidc_variables_turn_the_button_on_and_name_it(env, oidc_provider):
    from urllib.parse import parse_qs, urlsplit

    assert 'id="oidc-sign-in"' not in env().test_client().get("/login", expect=200).get_data(as_text=True)
    app = env(**_env_values(oidc_provider.config()))
    client = app.test_client()
    assert "通过统一身份认证登录" in client.get("/login", expect=200).get_data(as_text=True)
    assert "Sign in with Unified identity" in client.get("/login?lang=en", expect=200).get_data(as_text=True)
    location = client.get("/login/oidc", expect=302).headers["Location"]
    query = parse_qs(urlsplit(location).query)
    assert location.startswith(oidc_provider.issuer + "/") and query["client_id"] == ["platform-mgr"]
    assert query["scope"] == ["openid email profile"]
    named = env(OIDC_LABEL_ZH="一网通办", OIDC_LABEL_EN="City identity", OIDC_SCOPES="openid  email").test_client()
    assert "通过一网通办登录" in named.get("/login", expect=200).get_data(as_text=True)
    assert "Sign in with City identity" in named.get("/login?lang=en", expect=200).get_data(as_text=True)
    query = parse_qs(urlsplit(named.get("/login/oidc", expect=302).headers["Location"]).query)
    assert query["scope"] == ["openid email"]


def test_issuer_name_zh_and_en_name_the_issuer(env):
    default = env().test_client()
    assert "上海市科学技术委员会概念验证平台管理系统。" in default.get("/login", expect=200).get_data(as_text=True)
    en = default.get("/login?lang=en", expect=200).get_data(as_text=True)
    assert "Concept-verification platform programme of Shanghai Municipal Science and Technology Commission." in en
    named = env(ISSUER_NAME_ZH="浦东新区科技和经济委员会", ISSUER_NAME_EN="Pudong Science and Economy Commission").test_client()
    zh = named.get("/login", expect=200).get_data(as_text=True)
    assert "浦东新区科技和经济委员会概念验证平台管理系统。" in zh and "浦东新区科技和经济委员会 · 概念验证平台建设计划" in zh
    assert "上海市" not in zh
    en = named.get("/login?lang=en", expect=200).get_data(as_text=True)
    assert "Pudong Science and Economy Commission · Concept-verification platform programme" in en


def test_oidc_client_secret_is_the_one_the_provider_checks(env, oidc_provider, frozen_clock, make):
    from .directory_servers import OIDC_PEOPLE, OidcBrowser

    make.operator(email=OIDC_PEOPLE["oidc-invited"]["email"])
    frozen_clock.move_to(oidc_provider.now())
    for secret, signed_in in ((oidc_provider.config()["OIDC_CLIENT_SECRET"], True), ("not-the-secret", False)):
        client = env(**_env_values(oidc_provider.config(OIDC_CLIENT_SECRET=secret))).test_client()
        callback = OidcBrowser().sign_in(client.get("/login/oidc", expect=302).headers["Location"], "oidc-invited")
        client.get(callback, expect=302)
        assert client.get("/home").status_code == (200 if signed_in else 302)


@pytest.mark.parametrize("given,needed", [("LDAP_URL", "LDAP_BASE_DN"), ("OIDC_ISSUER", "OIDC_CLIENT_ID")])
def test_a_directory_without_its_required_partner_variable_stops_the_start_up(env, given, needed):
    value = "ldap://ldap.example" if given == "LDAP_URL" else "https://id.example"
    with pytest.raises(ConfigError) as raised:
        env(**{given: value})
    assert str(raised.value) == f"environment variable {needed} must be set when {given} is set"


# --- empty, malformed, and the tests' own config ---------------------------------------------------

def test_empty_values_mean_unset(env, make, smtp):
    app = env(MAIL_SERVER="smtp.commission.example", MAIL_PORT="", MAIL_TIMEOUT="", MAIL_FROM="", BASE_URL="",
              MAX_UPLOAD_MB="", SCHEDULER_TICK_MINUTES="", PROXY_FIX="", SESSION_COOKIE_SECURE="", SECRET_KEY="",
              UPLOAD_DIR="")
    [mail] = _mail_one(app, make, smtp)
    assert smtp.connections == [("SMTP", "smtp.commission.example", 25, 30.0)]
    assert mail["From"] == "platform-mgr@localhost" and "/projects/7" not in mail.get_content()
    assert _tick_interval(app) == timedelta(minutes=5)
    assert app.config["MAX_CONTENT_LENGTH"] == 20 * 1024 * 1024 + 64 * 1024


MALFORMED = [
    ("MAX_UPLOAD_MB", "abc", "an integer"),
    ("MAX_UPLOAD_MB", "1.5", "an integer"),
    ("MAX_UPLOAD_MB", "0", "greater than 0"),
    ("MAX_JSON_KB", "1MB", "an integer"),
    ("MAX_JSON_KB", "0", "greater than 0"),
    ("MAX_JSON_DEPTH", "deep", "an integer"),
    ("MAX_JSON_DEPTH", "0", "greater than 0"),
    ("MAX_ZIP_ENTRIES", "many", "an integer"),
    ("MAX_ZIP_ENTRIES", "0", "greater than 0"),
    ("MAX_ZIP_UNCOMPRESSED_MB", "0.5", "an integer"),
    ("MAX_ZIP_UNCOMPRESSED_MB", "0", "greater than 0"),
    ("MAX_ZIP_RATIO", "100:1", "an integer"),
    ("MAX_ZIP_RATIO", "-1", "greater than 0"),
    ("MAIL_PORT", "abc", "an integer"),
    ("MAIL_PORT", "0", "greater than 0"),
    ("MAIL_PORT", "70000", "at most 65535"),
    ("MAIL_USE_TLS", "maybe", "one of 1, 0, true, false, yes, no"),
    ("MAIL_USE_SSL", "sometimes", "one of 1, 0, true, false, yes, no"),
    ("MAIL_TIMEOUT", "soon", "a number"),
    ("MAIL_TIMEOUT", "0", "greater than 0"),
    ("MAIL_TIMEOUT", "-5", "greater than 0"),
    ("MAIL_TIMEOUT", "nan", "a finite number"),
    ("SCHEDULER_TICK_MINUTES", "five", "an integer"),
    ("SCHEDULER_TICK_MINUTES", "0", "greater than 0"),
    ("PROXY_FIX", "one", "an integer"),
    ("PROXY_FIX", "-1", "at least 0"),
    ("SESSION_COOKIE_SECURE", "perhaps", "one of 1, 0, true, false, yes, no"),
    ("SESSION_IDLE_MINUTES", "eight hours", "an integer"),
    ("SESSION_IDLE_MINUTES", "0", "greater than 0"),
    ("BASE_URL", "pm.example.gov.cn", "an http:// or https:// address such as https://pm.example.gov.cn"),
    ("DATABASE_URL", "not a database", "a database URL such as postgresql+psycopg://user@host/db"),
    ("LDAP_URL", "ldap.example.gov.cn", "an ldap:// or ldaps:// address such as ldaps://ldap.example.gov.cn"),
    ("LDAP_USER_FILTER", "uid={login}", "an LDAP filter in parentheses with {login}, such as (uid={login})"),
    ("LDAP_USER_FILTER", "(uid=alice)", "an LDAP filter in parentheses with {login}, such as (uid={login})"),
    ("LDAP_START_TLS", "sure", "one of 1, 0, true, false, yes, no"),
    ("LDAP_TIMEOUT", "long", "a number"),
    ("LDAP_TIMEOUT", "0", "greater than 0"),
    ("OIDC_ISSUER", "id.example.gov.cn", "an http:// or https:// address such as https://pm.example.gov.cn"),
    ("OIDC_SCOPES", "email profile", "space-separated scopes including openid, such as openid email profile"),
]


@pytest.mark.parametrize("name,value,expected", MALFORMED, ids=[f"{n}={v}" for n, v, _e in MALFORMED])
def test_a_malformed_value_stops_the_start_up_naming_it(env, name, value, expected):
    with pytest.raises(ConfigError) as raised:
        env(**{name: value})
    assert str(raised.value) == f"environment variable {name} must be {expected}, got {value!r}"


def test_every_malformed_variable_is_named_at_once(env):
    with pytest.raises(ConfigError) as raised:
        env(MAIL_PORT="abc", PROXY_FIX="x")
    assert str(raised.value).splitlines() == ["environment variable MAIL_PORT must be an integer, got 'abc'",
                                              "environment variable PROXY_FIX must be an integer, got 'x'"]


def test_every_typed_variable_has_a_malformed_case():
    typed = {name for name, field in Settings.model_fields.items() if field.annotation is not str or field.metadata}
    assert typed == {name for name, _value, _expected in MALFORMED}


@pytest.mark.parametrize("command", [[sys.executable, "-c", "import wsgi"],
                                     [str(Path(sys.executable).parent / "flask"), "--app", "wsgi", "routes"]],
                         ids=["import wsgi", "flask --app wsgi"])
def test_wsgi_and_the_commands_refuse_to_start_with_one_clear_line(command, tmp_path):
    done = subprocess.run(command, cwd=ROOT, env=child_env(MAIL_PORT="abc", INSTANCE_PATH=str(tmp_path)),
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 3
    assert done.stderr == "platform_mgr cannot start: environment variable MAIL_PORT must be an integer, got 'abc'\n"
    assert done.stdout == ""


def test_the_tests_config_ignores_the_environment(env, database_url, tmp_path, make, smtp, monkeypatch):
    monkeypatch.setenv("MAIL_SERVER", "smtp.commission.example")
    monkeypatch.setenv("MAX_UPLOAD_MB", "abc")  # would stop an app that reads the environment

    class Cfg(TestConfig):
        SQLALCHEMY_DATABASE_URI = database_url
        INSTANCE_PATH = str(tmp_path / "instance")

    app = create_app(Cfg)
    assert _mail_one(app, make, smtp) == [] and smtp.connections == []
    assert app.config["MAX_CONTENT_LENGTH"] == 20 * 1024 * 1024 + 64 * 1024


# --- the documentation -----------------------------------------------------------------------------

def _readme_table() -> list[str]:
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Configuration (environment)", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| `")]
    return [name for row in rows for name in re.findall(r"`([A-Z][A-Z0-9_]*)`", row.split("|")[1])]


def test_the_readme_table_and_the_settings_name_the_same_variables():
    documented = _readme_table()
    assert len(documented) == len(set(documented)), "a variable is listed twice"
    assert sorted(set(documented) - MAKEFILE_VARIABLES) == SETTINGS
    for name in MAKEFILE_VARIABLES:
        assert re.search(rf"^{name}\s*\?=", (ROOT / "Makefile").read_text(), re.M), name

