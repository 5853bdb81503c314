"""Browser tests: Playwright driving Debian's Chromium (/usr/bin/chromium; never a downloaded browser)
against the app served on 127.0.0.1 from a thread. A page that requests another host, logs a
console error or throws a script error fails the test.

Without Chromium on the machine these tests are skipped — except in CI (CI=true), where .ci/run
installs it and a missing browser is an error.
"""
from __future__ import annotations

import contextlib
import os
import shutil
import threading
from urllib.parse import urlparse

import pytest

from ..processes import child_env

CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
SCREENSHOTS = os.environ.get("SCREENSHOT_DIR")  # set to write README screenshots


def _have_browser() -> bool:
    if not os.path.exists(CHROMIUM):
        return False
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return False
    return True


if not _have_browser():
    if os.environ.get("CI"):
        raise RuntimeError(f"browser tests need Chromium at {CHROMIUM} and the playwright package (.ci/run installs them)")
    pytest.skip("Chromium or playwright is not installed here (CI installs them)", allow_module_level=True)


@pytest.fixture
def live_server(app):
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=5)


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    # Playwright's driver and Chromium inherit this process's environment: start them without libfaketime
    # (child_env); the app they talk to runs in this process on the frozen test clock either way
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(child_env())
    try:
        manager = sync_playwright().start()
    finally:
        os.environ.clear()
        os.environ.update(saved)
    with _stopping(manager) as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"])
        yield b
        b.close()


@contextlib.contextmanager
def _stopping(manager):
    try:
        yield manager
    finally:
        manager.stop()


class Watched:
    """A page plus what went wrong on it: requests to other hosts, console errors, script errors."""

    def __init__(self, page, base):
        self.page = page
        self.base = base
        self.foreign: list[str] = []
        self.errors: list[str] = []
        host = urlparse(base).netloc

        def route(r):
            netloc = urlparse(r.request.url).netloc
            if r.request.url.startswith(("data:", "blob:")) or netloc == host:
                r.continue_()
            else:
                self.foreign.append(r.request.url)
                r.abort()

        page.route("**/*", route)
        page.on("pageerror", lambda exc: self.errors.append(f"pageerror: {exc}"))
        page.on("console", lambda msg: self.errors.append(f"console: {msg.text}") if msg.type == "error" else None)

    def goto(self, path: str):
        response = self.page.goto(self.base + path)
        assert response is not None and response.status == 200, f"{path}: {response and response.status}"
        return response

    def login(self, email: str, password: str = "Passw0rd!x"):
        self.goto("/login")
        self.page.fill("#email", email)
        self.page.fill("#password", password)
        self.page.click("form button[type=submit], form input[type=submit]")
        self.page.wait_for_load_state()
        assert urlparse(self.page.url).path != "/login", f"sign-in of {email} was refused"

    def screenshot(self, name: str):
        if SCREENSHOTS:
            os.makedirs(SCREENSHOTS, exist_ok=True)
            self.page.screenshot(path=os.path.join(SCREENSHOTS, name + ".png"), full_page=False)

    def check(self):
        assert not self.foreign, f"requests left the server: {self.foreign}"
        assert not self.errors, f"script errors: {self.errors}"


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN")
    watched = Watched(context.new_page(), live_server)
    yield watched
    context.close()
    watched.check()
