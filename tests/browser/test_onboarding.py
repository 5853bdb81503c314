"""Issue 14's journey, in Chromium, in both languages, with no CLI anywhere: an admin creates a platform and
invites its operator; the operator follows the invitation link, chooses a password, signs in and registers the
platform's first project. Without MAIL_SERVER the admin is shown the link once, which is how it reaches the
operator here."""
from __future__ import annotations

from urllib.parse import urlparse

import pytest
from sqlmodel import select

from platform_mgr.models import AccountLink, OperatorPlatform, Platform, Project, User

WORDS = {
    "zh": {"created": "平台已创建", "invited": "已邀请", "set": "密码已设置"},
    "en": {"created": "The platform was created", "invited": "is invited", "set": "Your password is set"},
}


def _administration(page, path):
    """Open a page of the navigation's Administration menu (admins only)."""
    page.page.click("nav .dropdown-toggle:has(+ .dropdown-menu a[href='%s'])" % path)
    page.page.click(f"nav .dropdown-menu a[href='{path}']")
    page.page.wait_for_load_state()


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_an_admin_onboards_a_platform_and_its_operator_who_registers_a_project(page, make, db, lang):
    admin = make.admin()
    words = WORDS[lang]
    code = f"SIP{lang.upper()}"

    # the admin creates the platform on /admin/platforms
    page.login(admin.email)
    page.goto(f"/home?lang={lang}")
    _administration(page, "/admin/platforms")
    page.page.click("main a[href$='/admin/platforms/new']")
    page.page.wait_for_load_state()
    page.page.fill("#code", code)
    page.page.fill("#name_zh", "硅光芯片概念验证平台")
    page.page.fill("#name_en", "Silicon photonics proof-of-concept platform")
    page.page.select_option("#field", "silicon_photonics")
    page.page.select_option("#origin", "top_down")
    page.page.fill("#host_institution", "上海微系统研究所")
    page.page.click("main form [type=submit]")
    page.page.wait_for_load_state()
    assert words["created"] in page.page.inner_text(".alert-success")
    platform = db.exec(select(Platform).where(Platform.code == code)).one()
    page.screenshot(f"admin-platform-{lang}")

    # … and invites its operator; this installation sends no mail, so the link is shown once
    _administration(page, "/admin/users")
    page.page.click("main a[href$='/admin/users/invite']")
    page.page.wait_for_load_state()
    page.page.fill("#email", f"op-{lang}@example.com")
    page.page.fill("#display_name", "林运营" if lang == "zh" else "Lin Operator")
    page.page.select_option("#role", "operator")
    page.page.fill("#affiliation", "上海微系统研究所")
    page.page.select_option("#operator_platforms", str(platform.id))
    page.page.select_option("#preferred_lang", "zh_Hans_CN" if lang == "zh" else "en")
    page.page.click("main form [type=submit]")
    page.page.wait_for_load_state()
    assert words["invited"] in page.page.inner_text(".alert-success")
    page.screenshot(f"admin-invitation-link-{lang}")
    address = page.page.input_value("#link-address")
    operator = db.exec(select(User).where(User.email == f"op-{lang}@example.com")).one()
    assert operator.password_hash in (None, "") and operator.role == "operator"
    assert db.exec(select(OperatorPlatform).where(OperatorPlatform.user_id == operator.id)).one().platform_id \
        == platform.id

    # the operator, in a browser of their own, follows the link and chooses a password
    page.page.context.clear_cookies()
    page.goto(urlparse(address).path + f"?lang={lang}")
    page.page.fill("#password", "photonic wafers at dawn")
    page.page.fill("#confirm", "photonic wafers at dawn")
    page.page.click("main form [type=submit]")
    page.page.wait_for_load_state()
    assert urlparse(page.page.url).path == "/login"
    assert words["set"] in page.page.inner_text(".alert-success")
    assert page.page.input_value("#email") == operator.email
    db.expire_all()
    assert db.exec(select(AccountLink).where(AccountLink.user_id == operator.id)).one().used_at is not None

    # … signs in, and registers the platform's first project
    page.page.fill("#password", "photonic wafers at dawn")
    page.page.click("form button[type=submit], form input[type=submit]")
    page.page.wait_for_load_state()
    assert urlparse(page.page.url).path != "/login"
    page.goto("/home")
    page.page.click("nav a[href='/projects/dashboard']")  # "my platform"
    page.page.wait_for_load_state()
    page.page.click(f"main a[href$='/projects/platform/{platform.id}/new']")
    page.page.wait_for_load_state()
    page.page.fill("#title_zh", "片上光互连原型")
    page.page.fill("#lead", "林运营")
    page.page.fill("#source_institution", "上海微系统研究所")
    page.page.fill("#demand_owner", "某光通信企业")
    page.page.select_option("#stage", "S1")
    page.page.click("main form [type=submit]")
    page.page.wait_for_load_state()
    project = db.exec(select(Project).where(Project.platform_id == platform.id)).one()
    assert project.title_zh == "片上光互连原型" and project.stage == "S1"
    assert urlparse(page.page.url).path == f"/projects/{project.id}"
    assert "片上光互连原型" in page.page.inner_text("h1")
