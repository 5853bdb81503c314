"""The app factory, the language switch and the pages of the foundation."""
import re

from platform_mgr import create_app


def test_sign_in_page_is_chinese_by_default(client):
    response = client.get("/login")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'lang="zh-CN"' in html
    assert "登录" in html
    assert "Sign in" not in html


def test_lang_query_switches_to_english_and_is_remembered(client):
    html = client.get("/login?lang=en").get_data(as_text=True)
    assert 'lang="en"' in html and "Sign in" in html
    html = client.get("/login").get_data(as_text=True)  # remembered for the session
    assert "Sign in" in html
    html = client.get("/login?lang=zh").get_data(as_text=True)
    assert "登录" in html


def test_language_preference_is_stored_for_the_user(client, auth, make, db):
    user = make.admin()
    auth.login(user.email)
    html = client.get("/home?lang=en", expect=200).get_data(as_text=True)
    db.expire_all()
    assert db.get(type(user), user.id).preferred_lang == "en"
    # the switch says it is remembered, in the language just chosen, once
    assert "The interface language is now English, and it stays so when you sign in again" in html
    again = client.get("/home?lang=en", expect=200).get_data(as_text=True)
    assert "The interface language is now" not in again
    back = client.get("/home?lang=zh", expect=200).get_data(as_text=True)
    assert "界面语言已切换为中文，再次登录时仍使用中文" in back
    db.expire_all()
    assert db.get(type(user), user.id).preferred_lang == "zh_Hans_CN"


def test_no_asset_comes_from_another_host(client, auth, make):
    user = make.admin()
    auth.login(user.email)
    for url in ("/login", "/home", "/platforms/"):
        html = client.get(url).get_data(as_text=True)
        for src in re.findall(r'(?:src|href)="([^"]+)"', html):
            assert not src.startswith(("http://", "https://", "//")), (url, src)


def test_bootstrap_is_served_by_the_app(client):
    html = client.get("/login").get_data(as_text=True)
    css = re.search(r'href="(/static/[^"]*bootstrap[^"]*\.css)"', html) or re.search(
        r'href="(/bootstrap/static/[^"]*\.css)"', html)
    assert css, "bootstrap CSS must be linked from this server"
    with client.get(css.group(1)) as response:
        assert response.status_code == 200


def test_security_headers(client):
    response = client.get("/login")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"]


def test_secret_key_generated_once_into_instance(tmp_path, monkeypatch, database_url):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    app1 = create_app({"INSTANCE_PATH": str(tmp_path), "SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": ""})
    del app1
    monkeypatch.setenv("INSTANCE_PATH", str(tmp_path))
    a = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": ""})
    b = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": ""})
    assert a.config["SECRET_KEY"] and a.config["SECRET_KEY"] == b.config["SECRET_KEY"]
    assert (tmp_path / "secret_key").read_text().strip() == a.config["SECRET_KEY"]


def test_anonymous_is_sent_to_sign_in(client):
    response = client.get("/platforms/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_platform_pages_list_and_detail(client, auth, make):
    platform = make.platform(code="BCI", name_zh="脑机接口平台", name_en="BCI Platform")
    operator = make.operator(platform)
    project = make.project(platform, title_zh="柔性电极")
    make.milestone(project, title="完成动物实验")
    auth.login(operator.email)
    html = client.get("/platforms/").get_data(as_text=True)
    assert "脑机接口平台" in html
    html = client.get(f"/platforms/{platform.id}").get_data(as_text=True)
    assert "柔性电极" in html
    html = client.get(f"/projects/{project.id}").get_data(as_text=True)
    assert "完成动物实验" in html
    html = client.get(f"/platforms/{platform.id}?lang=en").get_data(as_text=True)
    assert "BCI Platform" in html


def test_operator_of_another_platform_cannot_open_a_project(client, auth, make):
    mine, other = make.platform(), make.platform()
    operator = make.operator(mine)
    project = make.project(other)
    auth.login(operator.email)
    assert client.get(f"/projects/{project.id}").status_code == 403
    html = client.get(f"/platforms/{other.id}").get_data(as_text=True)
    assert project.title_zh not in html


def test_unknown_page_is_404_page(client):
    assert client.get("/no/such/page").status_code == 404
