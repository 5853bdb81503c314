"""Every page reachable from the admin's navigation renders in both languages with no foreign request and no
script error (the fixtures check both after each test)."""


def test_sign_in_and_navigate_in_both_languages(page, make):
    make.platform(code="BCI", name_zh="脑机接口平台", name_en="BCI Platform")
    admin = make.admin()
    page.login(admin.email)
    assert "欢迎" in page.page.content()
    for path in ("/home", "/platforms/", "/dashboards/programme"):
        page.goto(path)
        page.goto(path + "?lang=en")
        page.goto(path + "?lang=zh")
    page.goto("/dashboards/programme")
    page.page.wait_for_selector("canvas[data-chart='funnel']")
    page.screenshot("smoke-programme-zh")


def test_phone_width_navigation_collapses(page, make):
    admin = make.admin()
    page.page.set_viewport_size({"width": 390, "height": 800})
    page.login(admin.email)
    toggler = page.page.locator(".navbar-toggler")
    assert toggler.is_visible()
    toggler.click()
    page.page.wait_for_selector("#nav.show")
    assert page.page.locator("#nav a[href='/platforms/']").is_visible()
