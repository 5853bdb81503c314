"""The directory servers the directory sign-in tests start on 127.0.0.1, each on a free port, once per run:

- **OpenLDAP**: Debian's ``slapd`` as a child process, its ``slapd.conf`` and an mdb database written into a
  temporary folder (schemas core, cosine, inetorgperson from /etc/ldap/schema), loaded with ``slapadd`` before
  it starts: the people of ``LDAP_PEOPLE`` and a read-only service account.
- **OpenID provider**: the npm package ``oidc-provider`` run by node (``tests/oidc/provider.js``, the people of
  ``tests/oidc/accounts.json``, the package's development interactions: a sign-in form and a consent form that
  ``OidcBrowser`` fills in over HTTP).

Without ``slapd`` (``apt-get install slapd ldap-utils``) or without node and the provider's packages
(``npm ci --prefix tests/oidc``) the tests that need one are skipped, with a message naming what to install —
except in CI (``CI`` set, as ``.ci/run`` does), where a missing server fails them instead.

**Clocks.** Both servers are started with ``child_env()`` and run on the machine's real clock, while the tests
run at the frozen ``FROZEN_AT`` (tests/README.md). LDAP has no clock in its answers. The provider's ID tokens
carry ``iat`` and ``exp`` of the real clock, which the app checks against ``platform_mgr.clock`` (with a leeway
of two minutes, web/auth/directory.py). So an OpenID test first moves its frozen clock to the provider's
(``provider_now``, from the provider's HTTP ``Date`` header) — deliberately, rather than loosening the app's
checks — and a test that keeps its clock an hour behind the provider's sees the token refused.
"""
from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest

from .processes import child_env

HERE = Path(__file__).resolve().parent
OIDC_DIR = HERE / "oidc"
SUFFIX = "dc=commission,dc=example"
ROOT_DN, ROOT_PASSWORD = f"cn=admin,{SUFFIX}", "root-secret"
READER_DN, READER_PASSWORD = f"cn=reader,{SUFFIX}", "reader-secret"
PEOPLE = f"ou=people,{SUFFIX}"

#: uid → (mail, password): who the directory knows (the tests decide which of them have an account)
LDAP_PEOPLE = {
    "ldap.invited": ("ldap.invited@commission.example", "Directory-Pass-1"),
    "ldap.deactivated": ("ldap.deactivated@commission.example", "Directory-Pass-2"),
    "ldap.stranger": ("ldap.stranger@elsewhere.example", "Directory-Pass-3"),
    "ldap.moved": ("ldap.moved.new@commission.example", "Directory-Pass-4"),  # the account has another e-mail
}
OIDC_PEOPLE = json.loads((OIDC_DIR / "accounts.json").read_text())["accounts"]
OIDC_CLIENT_ID, OIDC_CLIENT_SECRET = "platform-mgr", "platform-mgr-test-secret"
#: where the app under the Flask test client says its callback is (url_for(..., _external=True))
OIDC_REDIRECT_URI = "http://localhost/login/oidc/callback"


def missing(what: str, install: str):
    """Skip (locally) or fail (in CI) a test whose server is not installed here."""
    message = f"{what} is missing here; install it with: {install}"
    if os.environ.get("CI"):
        pytest.fail(f"{message} (CI must install it: .ci/run)")
    pytest.skip(message)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for_port(port: int, process: subprocess.Popen, name: str, log: Path, seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{name} stopped at start (exit {process.returncode}): {log.read_text()[-2000:]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{name} did not listen on 127.0.0.1:{port} within {seconds:g} s: {log.read_text()[-2000:]}")


def _serve(name: str, command: list[str], port: int, folder: Path, answer, **popen):
    """A generator: runs ``command`` (on the real clock: child_env) until it listens on ``port``, yields
    ``answer``, then stops it and removes ``folder`` (where its log is)."""
    log = folder / "server.log"
    with open(log, "wb") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, **popen)
    try:
        _wait_for_port(port, process, name, log)
        yield answer
    finally:
        _stop(process)
        shutil.rmtree(folder, ignore_errors=True)


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


# --- OpenLDAP ------------------------------------------------------------------------------------------

SLAPD = shutil.which("slapd") or ("/usr/sbin/slapd" if os.path.exists("/usr/sbin/slapd") else None)
SLAPADD = shutil.which("slapadd") or ("/usr/sbin/slapadd" if os.path.exists("/usr/sbin/slapadd") else None)
SCHEMAS = Path("/etc/ldap/schema")
MODULES = next((p for p in (Path("/usr/lib/ldap"), Path("/usr/lib/x86_64-linux-gnu/ldap")) if p.exists()), None)


def _ldif() -> str:
    entries = [f"dn: {SUFFIX}\nobjectClass: dcObject\nobjectClass: organization\ndc: commission\no: Commission\n",
               f"dn: {READER_DN}\nobjectClass: organizationalRole\nobjectClass: simpleSecurityObject\ncn: reader\n"
               f"userPassword: {READER_PASSWORD}\n",
               f"dn: {PEOPLE}\nobjectClass: organizationalUnit\nou: people\n"]
    for uid, (mail, password) in LDAP_PEOPLE.items():
        entries.append(f"dn: uid={uid},{PEOPLE}\nobjectClass: inetOrgPerson\nuid: {uid}\ncn: {uid}\nsn: {uid}\n"
                       f"mail: {mail}\nuserPassword: {password}\n")
    return "\n".join(entries)


def _slapd_conf(folder: Path) -> str:
    return "\n".join([
        *(f"include {SCHEMAS / name}.schema" for name in ("core", "cosine", "inetorgperson")),
        f"modulepath {MODULES}", "moduleload back_mdb",
        f"pidfile {folder / 'slapd.pid'}", f"argsfile {folder / 'slapd.args'}",
        "database mdb", "maxsize 10485760", f'suffix "{SUFFIX}"', f'rootdn "{ROOT_DN}"', f"rootpw {ROOT_PASSWORD}",
        f"directory {folder / 'db'}",
        "access to attrs=userPassword by self write by anonymous auth by * none",
        "access to * by * read", ""])


@dataclass(frozen=True)
class LdapServer:
    url: str

    def config(self, **overrides) -> dict:
        """The app's settings for this server (bind with the service account unless told otherwise)."""
        return {"LDAP_URL": self.url, "LDAP_BASE_DN": PEOPLE, "LDAP_BIND_DN": READER_DN,
                "LDAP_BIND_PASSWORD": READER_PASSWORD, "LDAP_USER_FILTER": "(|(uid={login})(mail={login}))",
                "LDAP_EMAIL_ATTRIBUTE": "mail", "LDAP_START_TLS": False, "LDAP_TIMEOUT": 5.0, **overrides}


def start_ldap():
    """A generator: yields the running server, stops it and removes its folder at the end."""
    if not (SLAPD and SLAPADD and MODULES and (SCHEMAS / "inetorgperson.schema").exists()):
        missing("OpenLDAP's slapd", "apt-get install slapd ldap-utils")
    folder = Path(tempfile.mkdtemp(prefix="pm-slapd-"))
    (folder / "db").mkdir()
    conf = folder / "slapd.conf"
    conf.write_text(_slapd_conf(folder))
    (folder / "people.ldif").write_text(_ldif())
    subprocess.run([SLAPADD, "-f", str(conf), "-l", str(folder / "people.ldif")], env=child_env(), check=True,
                   capture_output=True, timeout=60)
    port = free_port()
    # -d: stay in the foreground (a child of this process, stopped at the end); no other listener
    yield from _serve("slapd", [SLAPD, "-d", "0", "-h", f"ldap://127.0.0.1:{port}/", "-f", str(conf)], port, folder,
                      LdapServer(f"ldap://127.0.0.1:{port}"), env=child_env())


# --- the OpenID provider -------------------------------------------------------------------------------

NODE = shutil.which("node")


@dataclass(frozen=True)
class OidcProvider:
    issuer: str

    def config(self, **overrides) -> dict:
        return {"OIDC_ISSUER": self.issuer, "OIDC_CLIENT_ID": OIDC_CLIENT_ID, "OIDC_CLIENT_SECRET": OIDC_CLIENT_SECRET,
                "OIDC_SCOPES": "openid email profile", "OIDC_LABEL_ZH": "统一身份认证",
                "OIDC_LABEL_EN": "Unified identity", **overrides}

    def now(self) -> datetime:
        """The provider's clock (its HTTP Date header), to which a test moves its frozen clock."""
        import requests

        answer = requests.get(self.issuer + "/.well-known/openid-configuration", timeout=10)
        answer.raise_for_status()
        return parsedate_to_datetime(answer.headers["Date"])


def start_oidc():
    if not NODE:
        missing("node (for the OpenID provider)", "apt-get install nodejs npm && npm ci --prefix tests/oidc")
    if not (OIDC_DIR / "node_modules" / "oidc-provider").exists():
        missing("the OpenID provider's npm package oidc-provider", "npm ci --prefix tests/oidc")
    port = free_port()
    environment = child_env(PORT=str(port), REDIRECT_URI=OIDC_REDIRECT_URI, CLIENT_ID=OIDC_CLIENT_ID,
                            CLIENT_SECRET=OIDC_CLIENT_SECRET)
    yield from _serve("the OpenID provider", [NODE, str(OIDC_DIR / "provider.js")], port,
                      Path(tempfile.mkdtemp(prefix="pm-oidc-")), OidcProvider(f"http://127.0.0.1:{port}"),
                      cwd=OIDC_DIR, env=environment)


class OidcBrowser:
    """A person at the provider's pages, over HTTP: follows its redirects, fills in its sign-in and consent forms,
    and stops at the app's callback address (which the test then opens with the Flask test client)."""

    def __init__(self):
        import requests

        self.http = requests.Session()

    def sign_in(self, authorize_url: str, account: str, password: str = "any password") -> str:
        """From the provider's authorization address to the callback address (path and query) it sends back to."""
        url, method, data = authorize_url, "GET", None
        for _step in range(12):
            answer = self.http.request(method, url, data=data, allow_redirects=False, timeout=10)
            if answer.status_code in (302, 303):
                url, method, data = urljoin(url, answer.headers["Location"]), "GET", None
                if url.startswith(OIDC_REDIRECT_URI):
                    parts = urlsplit(url)
                    return parts.path + "?" + parts.query
                continue
            assert answer.status_code == 200, f"{method} {url}: {answer.status_code} {answer.text[:500]}"
            html = answer.text
            action = _form_action(html)
            if 'name="prompt" value="login"' in html:
                url, method, data = urljoin(url, action), "POST", {"prompt": "login", "login": account,
                                                                    "password": password}
            elif 'name="prompt" value="consent"' in html:
                url, method, data = urljoin(url, action), "POST", {"prompt": "consent"}
            else:
                raise AssertionError(f"an unexpected page of the provider at {url}: {html[:500]}")
        raise AssertionError("the provider did not send back to the app")


def _form_action(html: str) -> str:
    start = html.index('action="') + len('action="')
    return html[start:html.index('"', start)].replace("&amp;", "&")
