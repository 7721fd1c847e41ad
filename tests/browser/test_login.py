import pytest

from spink.accounts.models import Role
from tests.browser.conftest import axe_violations, log_in
from tests.factories import TEST_PASSWORD, OrgUnitFactory, user_with_role

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ROLE_HOME_TEXT = {
    Role.SOCIAL_WORKER: "Skicka placeringsförfrågningar",
    Role.PLACEMENT_OFFICER: "Matcha förfrågningar",
    Role.QUALITY_CONTROL: "Förvalta utförarregistret",
    Role.PROCUREMENT: "Förvalta ramavtal",
    Role.MANAGER: "Följ årsstatistik",
    Role.ADMINISTRATOR: "Administrera användare",
}


def test_login_page_has_no_serious_accessibility_findings(page, assert_accessible):
    page.goto("/login/")
    assert page.locator("html").get_attribute("lang") == "sv"
    assert_accessible(page)


@pytest.mark.parametrize("role", list(Role))
def test_each_role_logs_in_and_sees_its_own_home_page(page, assert_accessible, role):
    kwargs = {"org_unit": OrgUnitFactory()} if role == Role.SOCIAL_WORKER else {}
    user = user_with_role(role, username=f"demo-{role}", **kwargs)
    log_in(page, user.username, TEST_PASSWORD)
    main = page.locator("main")
    assert str(user.first_name) in main.inner_text()
    assert ROLE_HOME_TEXT[role] in main.inner_text()
    assert_accessible(page)


def test_menu_shows_each_role_only_its_own_work(page):
    user = user_with_role(Role.QUALITY_CONTROL, username="kvalitet1")
    log_in(page, user.username, TEST_PASSWORD)
    menu = page.get_by_role("navigation", name="Huvudmeny")
    assert menu.get_by_role("link", name="Start").is_visible()
    assert menu.get_by_role("link", name="Organisation").count() == 0


def test_wrong_password_shows_an_error_and_user_can_switch_to_english(page):
    page.goto("/login/")
    page.get_by_label("Användarnamn").fill("nobody")
    page.get_by_label("Lösenord").fill("wrong-password")
    page.get_by_role("button", name="Logga in").click()
    assert page.get_by_role("alert").is_visible()
    page.get_by_label("Språk").select_option("en")
    page.get_by_role("button", name="Byt språk").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.get_by_role("heading", name="Log in to Spink").is_visible()
    assert axe_violations(page) == []


def test_log_out_returns_to_login(page):
    user = user_with_role(Role.MANAGER, username="chef1")
    log_in(page, user.username, TEST_PASSWORD)
    page.get_by_role("button", name="Logga ut").click()
    page.wait_for_url("**/login/")
    page.goto("/")
    assert "/login/" in page.url


def test_accessibility_check_catches_a_broken_page(page):
    # Guards the guard: a page with an unlabelled image and field must fail the check.
    page.set_content('<html><body><img src="x.png"><input type="text"></body></html>')
    found = {violation["id"] for violation in axe_violations(page)}
    assert {"image-alt", "label"} <= found
