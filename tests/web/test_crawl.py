"""Every page reachable from each role's home renders, in Chinese and in English.

On the seeded demo data, for each role (admin, operator, reviewer who is also a gatekeeper) and each language,
follow every same-host GET link from /home: each distinct path pattern (numbers replaced, query keys kept)
once, at most three clicks deep, skipping sign-out, downloads and feeds. Every page answers 200, except the few
that send a role on by design (``REDIRECTS``: a 302 to the page named there, which the crawl follows), and an
English page shows no Chinese in its UI chrome (navigation, breadcrumbs, column headings, field labels, buttons).
"""
from __future__ import annotations

import re
from collections import deque
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
from sqlmodel import select

from platform_mgr.i18n import shanghai_today
from platform_mgr.models import Gatekeeper, User
from platform_mgr.services import seed as seed_svc

MAX_DEPTH = 3
MAX_PAGES = 250
SKIP = re.compile(r"^/(logout|static/|bootstrap/|exports/|api/|calendar/[^/]+\.ics)|/evidence/\d+$|/attachments/\d+$"
                  r"|\.(csv|xlsx|ics|pdf)$")
HREF = re.compile(r"""<a\b[^>]*?\bhref="([^"#]*)(?:#[^"]*)?\"[^>]*>""")
CJK = re.compile(r"[\u3400-\u9fff\uff00-\uffef\u3000-\u303f]")
TAG = re.compile(r"<[^>]+>")
CONTROL = re.compile(r"<(input|select|textarea)\b([^>]*)>", re.S)
FORM = re.compile(r"<form\b([^>]*)>", re.S)
# (role, path pattern) → the path pattern it sends that role to with a 302; every other page answers 200
REDIRECTS = {("operator", "/projects/dashboard"): "/projects/platform/N"}  # the chooser: straight to their platform
DESTRUCTIVE = re.compile(r'action="[^"]*/(delete|unassign|detach|reset|disable|close|publish|resume)"')


def _unlabelled(html: str) -> list[str]:
    """Form controls a screen reader cannot name: no <label for>, no aria-label(ledby), not inside a label."""
    main = html.split("<main", 1)[-1]
    labelled = set(re.findall(r'<label\b[^>]*\bfor="([^"]+)"', main))
    out = []
    for m in CONTROL.finditer(main):
        attrs = m.group(2)
        kind = re.search(r'\btype="([^"]+)"', attrs)
        if m.group(1) == "input" and kind and kind.group(1) in ("hidden", "submit", "button", "reset"):
            continue
        ident = re.search(r'\bid="([^"]+)"', attrs)
        if "aria-label" in attrs or (ident and ident.group(1) in labelled):
            continue
        before = main[:m.start()]
        if before.rfind("<label") > before.rfind("</label>"):  # wrapped in a label
            continue
        out.append(m.group(0)[:80])
    return out


def _unconfirmed(html: str) -> list[str]:
    """Forms that delete, close, publish or turn something off without asking first."""
    return [m.group(0)[:100] for m in FORM.finditer(html)
            if DESTRUCTIVE.search(m.group(1)) and "data-confirm" not in m.group(1)]


def _pattern(url: str) -> tuple[str, tuple[str, ...]]:
    parts = urlsplit(url)
    keys = tuple(sorted({k for k, _ in parse_qsl(parts.query, keep_blank_values=True)} - {"lang"}))
    return re.sub(r"/\d+", "/N", parts.path), keys


def _chrome_texts(html: str) -> list[str]:
    """UI chrome of a page: navigation links (not the language switch or the signed-in person's name),
    breadcrumb links, column headings, field labels and buttons. Data (names, titles) may be Chinese."""
    texts = []
    nav = re.search(r'<nav class="navbar.*?</nav>', html, re.S)
    if nav:
        for m in re.finditer(r'<a class="nav-link"(?![^>]*lang="zh-CN")[^>]*>(.*?)</a>', nav.group(0), re.S):
            texts.append(m.group(1))
    main = html.split('<main', 1)[-1]
    for pattern in (r'<th scope="col"([^>]*)>(.*?)</th>', r"<label\b([^>]*)>(.*?)</label>",
                    r'<button\b([^>]*type="submit"[^>]*)>(.*?)</button>', r'<legend\b([^>]*)>(.*?)</legend>'):
        for m in re.finditer(pattern, main, re.S):
            if 'lang="zh-CN"' not in m.group(1):  # deliberately bilingual (e.g. the TRL scale's 定义 column)
                texts.append(m.group(2))
    return [TAG.sub("", t).strip() for t in texts]


def _crawl(client, lang: str, role: str) -> dict[str, int]:
    suffix = f"lang={lang}"
    seen: set = set()
    visited: dict[str, int] = {}
    queue = deque([("/home", 0)])
    failures = []
    while queue and len(visited) < MAX_PAGES:
        url, depth = queue.popleft()
        key = _pattern(url)
        if key in seen:
            continue
        seen.add(key)
        target = url + ("&" if "?" in url else "?") + suffix
        response = client.get(target)
        visited[url] = response.status_code
        body = response.get_data(as_text=True)
        sends_to = REDIRECTS.get((role, key[0]))
        if sends_to is not None:
            location = urlsplit(response.headers.get("Location", "")).path
            if response.status_code != 302 or _pattern(location)[0] != sends_to:
                failures.append(f"{target}: {response.status_code} to {location!r}, not 302 to {sends_to}")
            else:
                queue.append((location, depth))
            continue
        if response.status_code != 200:
            failures.append(f"{target}: {response.status_code}")
            continue
        problems = [f"unlabelled {c}" for c in _unlabelled(body)] + [f"no confirmation {f}" for f in _unconfirmed(body)]
        if problems:
            failures.append(f"{target}: {problems[:5]}")
        if lang == "en":
            chinese = [t for t in _chrome_texts(body) if CJK.search(t)]
            if chinese:
                failures.append(f"{target}: untranslated UI text {chinese[:5]}")
        if depth >= MAX_DEPTH:
            continue
        for href in HREF.findall(body):
            href = href.replace("&amp;", "&")
            parts = urlsplit(href)
            if parts.scheme or parts.netloc or not parts.path.startswith("/") or SKIP.search(parts.path):
                continue
            query = urlencode([(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "lang"])
            link = parts.path + (f"?{query}" if query else "")
            if _pattern(link) not in seen:
                queue.append((link, depth + 1))
    assert not failures, "\n".join(failures)
    return visited


@pytest.fixture
def demo(db):
    seed_svc.seed(db, today=shanghai_today())
    db.commit()
    gatekeeper_id = db.exec(select(Gatekeeper.user_id)).first()
    return {
        "admin": "admin@example.com",
        "operator": "op-bci@example.com",
        "reviewer": db.get(User, gatekeeper_id).email,  # a reviewer who is also a platform's gatekeeper
    }


@pytest.mark.parametrize("role", ["admin", "operator", "reviewer"])
def test_every_page_reachable_from_home_renders_in_both_languages(client, auth, demo, role):
    response = auth.login(demo[role], password=seed_svc.DEMO_PASSWORD)
    assert response.status_code == 302
    zh = _crawl(client, "zh", role)
    en = _crawl(client, "en", role)
    # the crawl really went somewhere: the role's main pages were reached
    expected = {"admin": ["/dashboards/programme", "/cycles/", "/eligibility/"],
                "operator": ["/projects/dashboard", "/reviews/"],
                "reviewer": ["/reviews/", "/gates/"]}[role]
    for path in expected:
        assert path in zh and path in en, (path, sorted(zh))
    assert len(zh) >= 8


def test_english_chrome_check_catches_chinese():
    html = ('<nav class="navbar x"><a class="nav-link" href="/">平台</a><a class="nav-link" lang="zh-CN" href="?">中文</a>'
            '</nav><main><th scope="col">Stage</th><label for="x">名称</label><th scope="col" lang="zh-CN">定义</th></main>')
    assert [t for t in _chrome_texts(html) if CJK.search(t)] == ["平台", "名称"]


def test_label_and_confirmation_checks_catch_omissions():
    html = ('<main><label for="a">A</label><input id="a" name="a"><input name="b" type="text">'
            '<input type="hidden" name="c"><label>D <input name="d"></label><select name="e" aria-label="E"></select>'
            '<form method="post" action="/x/1/delete"></form><form data-confirm="?" action="/x/1/close"></form></main>')
    assert _unlabelled(html) == ['<input name="b" type="text">']
    assert _unconfirmed(html) == ['<form method="post" action="/x/1/delete">']
