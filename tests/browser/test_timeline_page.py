"""The timeline page at `/`, as a person uses it, in real headless Chromium over a real server.

Every test checks what is on screen (texts, counts, the address bar), under the strict
Content-Security-Policy the `page` fixture enforces.
"""

import csv
import io
import os
import re
from typing import TYPE_CHECKING

import httpx
import pytest

from tests.browser.support import Console, LiveServer, new_page, save_screenshot, serving

if os.environ.get("DYAD_TEST_DATABASE_URL", "sqlite") != "sqlite":
    pytest.skip(
        "the page reads only the API, which the other tests cover on this database: "
        "its browser tests run once, on the SQLite run",
        allow_module_level=True,
    )
expect = pytest.importorskip(
    "playwright.sync_api",
    reason="Playwright for Python is missing (pip install -e '.[dev]'): "
    "the page's browser tests did not run",
).expect

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

# The seeded Azerbaijan-Iran events, in date order, with their dates as the page words them.
AZE_IRN_DATES = [
    "August 2012",
    "2013?",
    "2013?",
    "2013?",
    "2013?",
    "March 2013",
    "c. March 2013",
    "30 March 2013",
    "c. April 2013",
    "c. April 2013",
]
MONTHS_2012_08_TO_2013_04 = [
    "2012-08",
    "2012-09",
    "2012-10",
    "2012-11",
    "2012-12",
    "2013-01",
    "2013-02",
    "2013-03",
    "2013-04",
]
MINUS = "\N{MINUS SIGN}"  # tones read as signed numbers, with a real minus sign
PERRY_CLAIM = "#event-2013-03-perry-israel-airbases-claim"
CONFERENCE_TITLES = [
    "Baku hosts the Future of Contemporary Southern Azerbaijan conference",
    "Iranian MP Mehdi Sanai calls Baku's hosting of the conference unacceptable",
    "Tehran calls the Baku conference interference in Iran's internal affairs",
]


def _titles(page: "Page") -> list[str]:
    return page.locator(".event-title").all_inner_texts()


def test_choosing_azerbaijan_and_iran_shows_the_seeded_events_and_the_chart(
    page: "Page", live_server: LiveServer
):
    page.goto(f"{live_server.base_url}/")
    expect(page.locator("#view-title")).to_have_text("All countries")
    expect(page.locator("#events-title")).to_have_text("11 events")
    expect(
        page.get_by_text("US-led group of countries steps up economic sanctions")
    ).to_be_visible()

    page.get_by_label("Country").select_option("AZE")
    expect(page).to_have_url(re.compile(r"/\?country=AZE$"))
    page.get_by_label("And", exact=True).select_option("IRN")
    expect(page).to_have_url(re.compile(r"/\?dyad=AZE-IRN$"))
    expect(page.locator("#view-title")).to_have_text("Azerbaijan and Iran")
    expect(page.locator("#events-title")).to_have_text("10 events")
    expect(page.locator(".event-date")).to_have_text(AZE_IRN_DATES)
    expect(page.get_by_text("US-led group of countries")).to_have_count(0)
    first = page.locator(".event").first
    expect(first).to_contain_text("Aliyev declines to attend the Non-Aligned Movement summit")
    expect(first.locator(".badges")).to_have_text(re.compile(rf"reject\s*tone {MINUS}5 hostile"))
    expect(first.locator(".event-countries")).to_have_text("Azerbaijan, Iran")
    expect(first.locator(".event-meta")).to_contain_text(
        "Ilham Aliyev (initiator), Government of Iran (target)"
    )

    # The chart: a bar per month from the first event to the last, with each month's count.
    chart = page.get_by_role("group", name=re.compile("^Events per month"))
    expect(chart).to_have_attribute(
        "aria-label", "Events per month and their mean tone, August 2012 to April 2013"
    )
    periods = chart.locator("[data-period]")
    expect(periods).to_have_count(9)
    assert [p.get_attribute("data-period") for p in periods.all()] == MONTHS_2012_08_TO_2013_04
    expect(chart.locator(".bar-value")).to_have_text(["1", "4", "3", "2"])
    expect(chart.locator("[data-period='2013-01']")).to_have_attribute(
        "aria-label",
        "January 2013: 4 events, mean tone +4 (friendly), 4 dated less precisely than a month",
    )

    chart.locator("[data-period='2013-03']").hover()
    tooltip = page.locator(".chart-tooltip")
    expect(tooltip).to_be_visible()
    expect(tooltip).to_contain_text("March 2013")
    expect(tooltip).to_contain_text("3 events")
    expect(tooltip).to_contain_text(f"mean tone {MINUS}1, neutral")
    expect(tooltip).to_contain_text("cooperate 1 · protest 1 · reject 1")

    # The picture of the main view: the chart's numbers for March, the first event opened.
    page.set_viewport_size({"width": 1280, "height": 1480})
    first.locator("summary").click()
    expect(first.locator("blockquote")).to_be_visible()
    chart.locator("[data-period='2013-03']").hover()
    expect(tooltip).to_contain_text("March 2013")
    path = save_screenshot(page, "timeline.png")
    assert path.stat().st_size > 10_000


def test_clicking_an_event_shows_its_citations_and_both_sides_of_a_dispute(
    page: "Page", live_server: LiveServer
):
    page.goto(f"{live_server.base_url}/?dyad=AZE-IRN")
    first = page.locator(".event").first
    expect(first.locator("blockquote")).to_be_hidden()
    first.locator("summary").click()
    expect(first.locator(".sources h3")).to_have_text("1 source")
    expect(first.locator("blockquote")).to_have_text(
        "They were at their worst when Azerbaijani President Ilham Aliyev declined to "
        "participate in the August 2012 Non-Aligned Movement summit that was held in Tehran."
    )
    expect(first.locator(".citation-details")).to_have_text(
        "New Eastern Outlook · opinion · 21 June 2013 · by Sergey Pivin · para. 1"
    )
    source = first.get_by_role("link", name="Iran-Azerbaijan: Conflict or Friendship?")
    expect(source).to_have_attribute(
        "href", "https://journal-neo.org/2013/06/21/iran-azerbaijan-conflict-or-friendship/"
    )
    expect(first.locator(".stance")).to_have_text("supports")

    claim = page.locator(PERRY_CLAIM)
    expect(claim.locator(".badge-disputed")).to_have_text("disputed")
    expect(claim.locator(".dispute-line")).to_have_text(
        "Supported by 1 source (New Eastern Outlook), disputed by 1 (New Eastern Outlook)"
    )
    claim.locator("summary").click()
    supports = claim.locator(".side-supports")
    disputes = claim.locator(".side-disputes")
    expect(supports.locator("h3")).to_have_text("Sources that support it (1)")
    expect(supports.locator("blockquote")).to_contain_text(
        "[T]he Israelis have gained access to airbases in Azerbaijan"
    )
    expect(disputes.locator("h3")).to_have_text("Sources that dispute it (1)")
    expect(disputes.locator("blockquote")).to_have_text(
        "Azerbaijan then had to deny that information at all levels."
    )

    # Its denial is on the page too: the link opens it in place.
    claim.get_by_role("link", name="Azerbaijan denies that Israel has gained access").click()
    denial = page.locator("#event-2013-03-perry-israel-airbases-denial")
    expect(denial.locator("details")).to_have_attribute("open", "")
    expect(denial.locator(".event-links")).to_contain_text("Denies: Mark Perry writes")
    expect(page).to_have_url(f"{live_server.base_url}/?dyad=AZE-IRN")


def test_search_types_and_dates_narrow_the_list_and_back_and_forward_replay_them(
    page: "Page", live_server: LiveServer
):
    page.goto(f"{live_server.base_url}/?dyad=AZE-IRN")
    expect(page.locator("#events-title")).to_have_text("10 events")

    page.get_by_label("Search").fill("conference")
    page.get_by_label("Search").press("Enter")
    expect(page).to_have_url(re.compile(r"/\?dyad=AZE-IRN&q=conference$"))
    expect(page.locator("#events-title")).to_have_text("3 events")
    expect(page.locator(".event-title")).to_have_text(CONFERENCE_TITLES)
    expect(page.locator("#view-detail")).to_have_text("matching “conference”")
    expect(page.locator(".chart-svg [data-period]")).to_have_count(2)  # March and April 2013

    page.go_back()
    expect(page.locator("#events-title")).to_have_text("10 events")
    expect(page.get_by_label("Search")).to_have_value("")
    page.go_forward()
    expect(page.locator("#events-title")).to_have_text("3 events")
    expect(page.get_by_label("Search")).to_have_value("conference")

    page.locator("#types-panel summary").click()
    page.get_by_role("checkbox", name=re.compile("^protest")).check()
    expect(page).to_have_url(re.compile(r"/\?dyad=AZE-IRN&q=conference&type=protest$"))
    expect(page.locator(".event-title")).to_have_text(CONFERENCE_TITLES[:1])
    expect(page.locator("#types-summary")).to_have_text("protest")

    page.get_by_role("checkbox", name=re.compile("^protest")).uncheck()
    page.get_by_label("From").fill("2013-04")
    page.get_by_label("From").press("Enter")
    expect(page).to_have_url(re.compile(r"/\?dyad=AZE-IRN&from=2013-04&q=conference$"))
    expect(page.locator(".event-title")).to_have_text(CONFERENCE_TITLES[1:])
    expect(page.locator("#view-detail")).to_have_text("from April 2013 · matching “conference”")
    page.go_back()
    expect(page.locator("#events-title")).to_have_text("3 events")
    expect(page.get_by_label("From")).to_have_value("")


def test_a_shared_url_restores_every_choice_and_exports_the_same_events(
    page: "Page", live_server: LiveServer
):
    page.goto(f"{live_server.base_url}/?dyad=AZE-IRN&from=2013&to=2013&q=conference&type=accuse")
    expect(page.locator("#events-title")).to_have_text("2 events")
    expect(page.locator(".event-title")).to_have_text(CONFERENCE_TITLES[1:])
    expect(page.get_by_label("Country")).to_have_value("AZE")
    expect(page.get_by_label("And", exact=True)).to_have_value("IRN")
    expect(page.get_by_label("From")).to_have_value("2013")
    expect(page.get_by_label("To", exact=True)).to_have_value("2013")
    expect(page.get_by_label("Search")).to_have_value("conference")
    expect(page.locator("#types-summary")).to_have_text("accuse")
    page.locator("#types-panel summary").click()
    expect(page.get_by_role("checkbox", name=re.compile("^accuse"))).to_be_checked()
    expect(page.get_by_role("checkbox", name=re.compile("^reject"))).not_to_be_checked()
    expect(page.locator("#view-title")).to_have_text("Azerbaijan and Iran")
    expect(page.locator("#view-detail")).to_have_text(
        "2013 · types: accuse · matching “conference”"
    )
    assert page.title() == "Azerbaijan and Iran, 2013 · Dyad"

    csv_link = page.get_by_role("link", name="CSV")
    href = csv_link.get_attribute("href") or ""
    assert href.startswith("/v1/events?")
    exported = httpx.get(f"{live_server.base_url}{href}", timeout=10)
    assert exported.status_code == 200
    assert exported.content.startswith(b"\xef\xbb\xbf")  # the page's CSV is for Excel
    rows = list(csv.DictReader(io.StringIO(exported.content.decode("utf-8-sig"))))
    assert [row["title"] for row in rows] == CONFERENCE_TITLES[1:]
    ics_href = page.get_by_role("link", name="iCalendar").get_attribute("href") or ""
    ics = httpx.get(f"{live_server.base_url}{ics_href}", timeout=10)
    assert ics.text.count("BEGIN:VEVENT") == 2
    timelinejs = page.get_by_role("link", name="TimelineJS JSON").get_attribute("href") or ""
    assert "format=timelinejs" in timelinejs


def test_choosing_a_period_by_click_or_keyboard_lists_only_its_events(
    page: "Page", live_server: LiveServer
):
    page.goto(f"{live_server.base_url}/?dyad=AZE-IRN")
    march = page.locator(".chart-svg [data-period='2013-03']")
    march.click()
    expect(page).to_have_url(re.compile(r"/\?dyad=AZE-IRN&period=2013-03$"))
    expect(page.locator("#events-title")).to_have_text("3 events in March 2013")
    expect(page.locator(".event-date")).to_have_text(
        ["March 2013", "c. March 2013", "30 March 2013"]
    )
    expect(march).to_have_attribute("aria-pressed", "true")
    page.get_by_role("button", name="Show every period").click()
    expect(page.locator("#events-title")).to_have_text("10 events")

    # The chart is one tab stop; the arrow keys move between periods, Enter chooses one.
    page.locator(".chart-svg [data-period='2013-03']").focus()
    page.keyboard.press("ArrowRight")
    expect(page.locator(".chart-tooltip")).to_contain_text("April 2013")
    page.keyboard.press("Enter")
    expect(page.locator("#events-title")).to_have_text("2 events in April 2013")
    focused = page.evaluate("document.activeElement.dataset.period")
    assert focused == "2013-04"
    page.keyboard.press("Escape")
    expect(page.locator("#events-title")).to_have_text("10 events")
    expect(page).to_have_url(re.compile(r"/\?dyad=AZE-IRN$"))


def test_no_results_and_refused_choices_are_explained(page: "Page", live_server: LiveServer):
    page.goto(f"{live_server.base_url}/?dyad=AZE-IRN&from=2012&to=2013&q=zeppelin")
    notice = page.locator("#notice")
    expect(notice).to_contain_text("No events match these choices.")
    expect(page.locator(".chart-card")).to_be_hidden()
    page.get_by_role("button", name="Keep the countries, clear the rest").click()
    expect(page).to_have_url(re.compile(r"/\?dyad=AZE-IRN$"))
    expect(page.locator("#events-title")).to_have_text("10 events")
    expect(page.get_by_label("From")).to_have_value("")
    expect(notice).to_be_hidden()

    page.goto(f"{live_server.base_url}/?dyad=AZE-IRN&from=2013-13")
    expect(notice).to_contain_text("The API did not accept these choices.")
    expect(notice).to_contain_text("'2013-13' is not a valid calendar date")
    expect(page.get_by_label("From")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#event-list")).to_be_hidden()


def test_the_page_fits_a_phone_screen(
    browser: "Browser", console: Console, live_server: LiveServer
):
    page = new_page(browser, console, width=375, height=740)
    try:
        page.goto(f"{live_server.base_url}/?dyad=AZE-IRN")
        expect(page.locator("#events-title")).to_have_text("10 events")
        expect(page.locator(".chart-svg [data-period]")).to_have_count(9)
        assert page.evaluate("document.documentElement.scrollWidth") <= 375
        chart_width = page.locator(".chart-svg").evaluate(
            "svg => svg.getBoundingClientRect().right"
        )
        assert chart_width <= 375
        page.locator(PERRY_CLAIM).locator("summary").click()
        expect(page.locator(PERRY_CLAIM).locator(".side-disputes")).to_be_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= 375
    finally:
        page.context.close()
    assert console.policy_violations() == []


def test_the_page_says_so_when_the_api_is_down(page: "Page", live_server: LiveServer):
    # A second server over the same database, to stop without disturbing the other tests.
    with serving(live_server.workdir) as server:
        page.goto(f"{server.base_url}/?dyad=AZE-IRN")
        expect(page.locator("#events-title")).to_have_text("10 events")
        server.stop()

        page.get_by_label("Search").fill("conference")
        page.get_by_label("Search").press("Enter")
        notice = page.locator("#notice")
        expect(notice).to_contain_text("Could not reach the Dyad API.")
        expect(notice).to_contain_text("the API may be down")
        expect(page.get_by_role("button", name="Try again")).to_be_visible()
        expect(page.locator("#event-list")).to_be_hidden()
        expect(page.locator(".chart-card")).to_be_hidden()
