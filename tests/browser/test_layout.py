"""Layout at 320 and 1280 CSS px (issue 14), as each role's demo user sees it: no page of the
role scrolls sideways on a phone, no page has a serious or critical axe finding, the focus
indicator reaches 3:1 on the background it sits on, and the request list fits 1280 px.

One page object walks every role (home, every menu entry, and one detail page behind each
list: a request, a unit, a provider, a control, a plan, an organisation unit …); axe runs
once per kind of page (digits in the path folded), the width check on every page."""

import re
from urllib.parse import urlsplit

import pytest
from django.apps import apps
from django.urls import reverse
from playwright.sync_api import expect

from categories import taxonomy
from devtools.demo import accounts as demo_accounts
from devtools.demo import followup as demo_followup
from devtools.demo import placements as demo_placements
from devtools.demo import plans as demo_plans
from devtools.demo import register as demo_register
from placements import matching
from placements import services as placement_services
from placements.models import PlacementRequest, RequestStatus
from providers.models import Unit
from spink.accounts.models import User
from tests.browser.conftest import axe_violations, describe, log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "layout-test-password-2026"
PHONE = {"width": 320, "height": 800}
DESKTOP = {"width": 1280, "height": 800}
ROLES = ["socialsekreterare", "placering.barn", "kvalitet", "upphandling", "chef", "admin"]
# Links that are actions or downloads, not pages to look at.
SKIP = re.compile(r"(export|\.csv|\.xlsx|/api/|logout|/new/|/create/|/edit/|/admin/)")
DETAIL = re.compile(r"/\d+/$")
# Pages of the administrator outside the menu (sub-navigation), besides the detail pages.
ADMIN_EXTRA = [
    "statistics:followup",
    "monitoring:source-list",
    "monitoring:run-list",
    "providers:provider-list",
]
EXPECTED_KINDS = {
    "/login/",
    "/",
    "/requests/",
    "/requests/N/",
    "/requests/N/compare/",
    "/requests/queue/",
    "/register/",
    "/register/units/N/",
    "/register/units/N/permits/",
    "/register/units/N/prices/",
    "/register/agreements/",
    "/follow-up/controls/",
    "/follow-up/controls/N/",
    "/follow-up/feedback/",
    "/follow-up/site-visits/",
    "/monitoring/",
    "/monitoring/signals/N/",
    "/statistics/",
    "/statistics/follow-up/",
    "/category-plans/",
    "/category-plans/N/",
    "/organisation/",
    "/organisation/units/N/",
}

SCROLL_WIDTH = "() => document.documentElement.scrollWidth"
FOCUS_CONTRAST = """(selector) => {
  const el = document.querySelector(selector);
  if (!el) return null;
  el.focus();
  const lum = (rgb) => {
    const [r, g, b] = rgb.match(/\\d+(\\.\\d+)?/g).slice(0, 3).map(Number).map((c) => {
      c /= 255; return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4; });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const ratio = (a, b) => { const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p);
    return (x + 0.05) / (y + 0.05); };
  const style = getComputedStyle(el);
  // The background the outline sits on: the nearest ancestor with an opaque background.
  let node = el.parentElement, background = "rgb(255, 255, 255)";
  while (node) {
    const color = getComputedStyle(node).backgroundColor;
    const clear = !color || color === "transparent" || /rgba\\(.*, 0\\)$/.test(color);
    if (!clear) { background = color; break; }
    node = node.parentElement;
  }
  return { focusVisible: el.matches(":focus-visible"), style: style.outlineStyle,
           width: parseFloat(style.outlineWidth), outline: style.outlineColor, background,
           ratio: ratio(style.outlineColor, background), ring: style.boxShadow };
}"""


@pytest.fixture(autouse=True)
def demo_data(transactional_db, monkeypatch):
    # Transactional tests flush the database: the migration-loaded taxonomy goes with it.
    taxonomy.load(apps)
    # The demo data, with a register of 40 units instead of 320 (speed; every page still has
    # rows: requests, units, controls, signals, feedback, site visits, a category plan).
    monkeypatch.setattr(demo_register, "UNIT_COUNT", 40)
    users = demo_accounts.seed()
    for user in users:
        user.set_password(PASSWORD)
        user.save(update_fields=["password"])
    demo_register.seed()
    demo_followup.seed()
    demo_placements.seed()
    demo_plans.seed()


@pytest.fixture
def compare_path(demo_data) -> str:
    """The comparison of a shortlist of two, which no list links to: the children's officer
    shortlists two units not yet recommended on one of their requests."""
    officer = User.objects.get(username="placering.barn")
    requests = PlacementRequest.objects.filter(
        assigned_officer=officer,
        status__in=[RequestStatus.IN_MATCHING, RequestStatus.RECOMMENDED],
    ).order_by("pk")
    for request in requests:
        recommended = set(request.recommendations.values_list("offering_id", flat=True))
        offerings = [
            candidate.offering.pk
            for candidate in matching.rank_candidates(request)
            if candidate.offering.pk not in recommended
        ][:2]
        if len(offerings) == 2:
            for offering in offerings:
                placement_services.shortlist_add(
                    actor=officer, request=request.pk, offering=offering
                )
            return reverse("placements:request-compare", args=[request.pk])
    pytest.fail("placering.barn has no request in the demo with two units to shortlist")


def path_kind(url: str) -> str:
    return re.sub(r"\d+", "N", urlsplit(url).path)


def test_layout_of_every_page_of_every_role(page, live_server, compare_path):
    """320 px and axe on every page of every role; then focus contrast and 1280 px."""
    check_focus_and_the_request_list_at_1280_px(page)
    axed: set[str] = set()
    too_wide: list[str] = []
    findings: list[str] = []
    # Signed out: the login page, at 320 px too.
    page.set_viewport_size(PHONE)
    page.goto("/login/")
    if page.evaluate(SCROLL_WIDTH) > PHONE["width"]:
        too_wide.append(f"signed out /login/: scrollWidth {page.evaluate(SCROLL_WIDTH)}")
    axed.add("/login/")
    findings += [f"/login/:\n{describe(v)}" for v in [axe_violations(page)] if v]
    for username in ROLES:
        page.context.clear_cookies()
        log_in(page, username, PASSWORD)
        menu = page.eval_on_selector_all(".main-nav a", "links => links.map((a) => a.href)")
        assert menu, f"{username}: no menu"
        pages = [url for url in menu if not SKIP.search(url)]
        if username == "admin":
            pages += [live_server.url + reverse(name) for name in ADMIN_EXTRA]
        if username == "placering.barn":
            pages.append(live_server.url + compare_path)
        if username == "kvalitet":  # the permits page, reached from a unit's page
            unit = Unit.objects.filter(permits__isnull=False).order_by("pk").first()
            assert unit is not None, "the demo register has units with permits"
            pages.append(live_server.url + reverse("providers:unit-permits", args=[unit.pk]))
            pages.append(live_server.url + reverse("providers:unit-prices", args=[unit.pk]))
        seen_kinds: set[str] = set()
        index = 0
        while index < len(pages):
            url = pages[index]
            index += 1
            response = page.goto(url)
            assert response is not None and response.ok, f"{username}: {url} → {response}"
            page.wait_for_load_state("domcontentloaded")
            width = page.evaluate(SCROLL_WIDTH)
            if width > PHONE["width"]:
                too_wide.append(f"{username} {urlsplit(url).path}: scrollWidth {width}")
            kind = path_kind(url)
            if kind not in axed:
                axed.add(kind)
                violations = axe_violations(page)
                if violations:
                    findings.append(f"{username} {kind}:\n{describe(violations)}")
            # One detail page behind each list (a request, a unit, a plan, …), once per kind.
            if not DETAIL.search(urlsplit(url).path):
                links = page.eval_on_selector_all(
                    "main a[href]", "links => links.map((a) => a.href)"
                )
                for link in links:
                    if DETAIL.search(urlsplit(link).path) and not SKIP.search(link):
                        link_kind = path_kind(link)
                        if link_kind not in seen_kinds and link.startswith(live_server.url):
                            seen_kinds.add(link_kind)
                            pages.append(link)
                        break
        # The folding menu opens inside 320 px and shows the role's menu.
        page.goto("/")
        page.locator(".site-menu__toggle").click()
        expect(page.get_by_role("navigation", name="Huvudmeny")).to_be_visible()
        width = page.evaluate(SCROLL_WIDTH)
        if width > PHONE["width"]:
            too_wide.append(f"{username} / with the menu open: scrollWidth {width}")
    problems = (["Pages wider than 320 px:", *too_wide] if too_wide else []) + findings
    assert not problems, "\n".join(problems)
    # Every role's home, list and detail pages were looked at, not just a few.
    assert axed >= EXPECTED_KINDS, EXPECTED_KINDS - axed


def check_focus_and_the_request_list_at_1280_px(page) -> None:
    page.context.clear_cookies()
    page.set_viewport_size(DESKTOP)
    log_in(page, "socialsekreterare", PASSWORD)
    page.goto("/requests/")
    # From 64em the folding menu is open without a click: the menu and log-out are there.
    expect(page.locator(".site-menu__toggle")).to_be_hidden()
    menu = page.get_by_role("navigation", name="Huvudmeny")
    expect(menu.get_by_role("link", name="Mina förfrågningar")).to_be_visible()
    expect(page.get_by_role("button", name="Logga ut")).to_be_visible()
    page.keyboard.press("Tab")  # keyboard modality: programmatic focus then shows :focus-visible
    checks = {
        "a link in the page": "main a[href]",
        "a button in the page": "main .button, main button",
        "a link in the header": ".main-nav a",
        "the header's log-out button": ".site-header__user button",
        "the language button in the footer": ".language-form button",
    }
    for name, selector in checks.items():
        result = page.evaluate(FOCUS_CONTRAST, selector)
        assert result is not None, f"nothing matches {selector}"
        assert result["focusVisible"], f"{name}: not :focus-visible"
        assert result["style"] == "solid" and result["width"] >= 3, (name, result)
        assert result["ratio"] >= 3, f"{name}: focus outline {result['ratio']:.2f}:1 {result}"
        assert result["ring"] != "none", f"{name}: no inner ring {result}"

    # The request list at 1280 px: no column cut, nothing scrolls.
    assert page.evaluate(SCROLL_WIDTH) <= DESKTOP["width"]
    table = page.locator("main table").first
    expect(table).to_be_visible()
    clipped = page.evaluate(
        """() => {
          const table = document.querySelector("main table");
          const region = table.closest(".table-scroll") || table.parentElement;
          const box = region.getBoundingClientRect();
          const cut = [...table.querySelectorAll("thead th")]
            .filter((th) => th.getBoundingClientRect().right > box.right + 0.5
                           || getComputedStyle(th).display === "none")
            .map((th) => th.textContent.trim());
          return { cut, scrolls: region.scrollWidth > region.clientWidth + 1 };
        }"""
    )
    assert clipped == {"cut": [], "scrolls": False}, clipped
