"""Faults: the database unreachable → a 503 page in the browser and a 503 error in the API's JSON
format, never a traceback; both for a PostgreSQL server that does not answer and for a SQLite file
that cannot be opened."""
from __future__ import annotations

import pytest

from platform_mgr import create_app
from platform_mgr.config import TestConfig

UNREACHABLE = {
    "postgresql": "postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=2",
    "sqlite": "sqlite:////nonexistent-dir/for/sure/db.sqlite3",
}


@pytest.fixture(params=sorted(UNREACHABLE))
def down_app(request, tmp_path):
    class Cfg(TestConfig):
        SQLALCHEMY_DATABASE_URI = UNREACHABLE[request.param]
        INSTANCE_PATH = str(tmp_path)
        UPLOAD_DIR = str(tmp_path / "uploads")
        PROPAGATE_EXCEPTIONS = False  # as in production

    application = create_app(Cfg)
    yield application
    from platform_mgr.db import dispose_engines

    dispose_engines()


def _no_traceback(text: str):
    assert "Traceback" not in text and "sqlalchemy" not in text.lower() and "psycopg" not in text.lower()


def test_api_answers_503_in_the_error_format(down_app):
    response = down_app.test_client().get("/api/v1/me", headers={"Authorization": "Bearer pm_whatever"})
    assert response.status_code == 503
    body = response.get_json()
    assert body["error"]["code"] == "unavailable" and body["error"]["message"] and body["error"]["fields"] == {}
    _no_traceback(response.get_data(as_text=True))


def test_api_write_answers_503(down_app):
    response = down_app.test_client().post("/api/v1/platforms", json={"code": "X"},
                                           headers={"Authorization": "Bearer pm_whatever"})
    assert response.status_code == 503
    assert response.get_json()["error"]["code"] == "unavailable"


@pytest.mark.parametrize("lang,text", [("en", "The database is not reachable"), ("zh", "数据库")])
def test_signed_in_page_answers_a_503_page(down_app, lang, text):
    client = down_app.test_client()
    with client.session_transaction() as sess:
        sess["_user_id"] = "1:0"
        sess["lang"] = "en" if lang == "en" else "zh_Hans_CN"
    response = client.get("/home")
    assert response.status_code == 503
    page = response.get_data(as_text=True)
    assert "<html" in page and text in page
    _no_traceback(page)


def test_sign_in_attempt_answers_a_503_page(down_app):
    response = down_app.test_client().post("/login?lang=en", data={"email": "a@example.com", "password": "x" * 12})
    assert response.status_code == 503
    _no_traceback(response.get_data(as_text=True))
