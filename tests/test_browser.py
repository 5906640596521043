"""The search page in a real browser: Debian's chromium and chromium-driver
through Selenium, against ``jsearch serve`` on 127.0.0.1.

Selenium Manager never runs: the driver and the browser are given by path,
so nothing is downloaded.  In CI (``CI`` set) a missing browser fails the
test; elsewhere it is skipped.  ``JSEARCH_SCREENSHOT=path.png`` keeps the
screenshot of the results page (the README's docs/screenshot.png).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from .conftest import DATA
from .server_process import running_server

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
WAIT = 60  # seconds: a slow shared machine, never an assertion about speed


def _require_browser() -> None:
    missing = [str(p) for p in (CHROMIUM, CHROMEDRIVER) if not p.exists()]
    if not missing:
        return
    message = f"the browser test needs {' and '.join(missing)}: apt-get install -y chromium chromium-driver"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """A running server over a copy of the posts."""
    root = tmp_path_factory.mktemp("browser")
    shutil.copytree(DATA, root / "data")
    with running_server(root / "data", root / "index") as server:
        yield server
        server.stop()


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    _require_browser()
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--window-size=1200,1100",
        "--lang=ja",
        f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}",
    ):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    driver.set_page_load_timeout(WAIT)
    try:
        yield driver
    finally:
        driver.quit()


def _wait(driver, condition):
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, WAIT).until(condition)


def _query_of(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query)


def _hit_ids(driver) -> list[str]:
    from selenium.webdriver.common.by import By

    return [li.get_attribute("data-id") for li in driver.find_elements(By.CSS_SELECTOR, "li.hit")]


def test_search_facet_result_and_paging(site, browser, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    browser.get(site.url)
    box = browser.find_element(By.NAME, "q")
    box.send_keys("液浸冷却")
    box.send_keys(Keys.ENTER)
    _wait(browser, lambda d: _query_of(d.current_url).get("q") == ["液浸冷却"])
    hits = browser.find_elements(By.CSS_SELECTOR, "li.hit")
    assert len(hits) == 5  # three that write 液浸冷却, two marked as lacking 液浸
    assert len(browser.find_elements(By.CSS_SELECTOR, "li.hit .missing")) == 2
    for hit in hits[:3]:
        marks = [m.text for m in hit.find_elements(By.TAG_NAME, "mark")]
        assert "液浸冷却" in marks, hit.get_attribute("data-id")
    shot = Path(os.environ.get("JSEARCH_SCREENSHOT") or tmp_path / "results.png")
    assert browser.save_screenshot(str(shot)) and shot.stat().st_size > 10_000

    # a tag facet adds tag: to the query
    facet = browser.find_element(By.CSS_SELECTOR, ".facet-tag a")
    tag = facet.text
    facet.click()
    _wait(browser, lambda d: _query_of(d.current_url).get("q") == [f"液浸冷却 tag:{tag}"])
    assert browser.find_element(By.NAME, "q").get_attribute("value") == f"液浸冷却 tag:{tag}"
    hits = browser.find_elements(By.CSS_SELECTOR, "li.hit")
    assert hits
    for hit in hits:  # the filter holds for every hit
        assert f"#{tag}" in [t.text for t in hit.find_elements(By.CSS_SELECTOR, ".tag")]

    # a result's passage opens the post, scrolled to that passage
    first_id = _hit_ids(browser)[0]
    browser.find_element(By.CSS_SELECTOR, "li.hit a.passage").click()
    _wait(browser, lambda d: urlsplit(d.current_url).path == f"/posts/{first_id}")
    assert urlsplit(browser.current_url).fragment == "passage"
    anchored = browser.find_element(By.ID, "passage")
    assert any(m.text == "液浸冷却" for m in anchored.find_elements(By.TAG_NAME, "mark"))
    assert browser.execute_script("return window.scrollY") > 0
    browser.find_element(By.CSS_SELECTOR, "a.title, h1")  # the post's own page
    assert browser.find_element(By.TAG_NAME, "h1").text

    # paging: two hits a page
    browser.get(site.url + "?q=AI&limit=2")
    first_page = _hit_ids(browser)
    browser.find_element(By.CSS_SELECTOR, "nav.paging a[rel=next]").click()
    _wait(browser, lambda d: _query_of(d.current_url).get("page") == ["2"])
    second_page = _hit_ids(browser)
    assert len(first_page) == 2 and second_page and not set(first_page) & set(second_page)
    browser.back()
    _wait(browser, lambda d: "page" not in _query_of(d.current_url))
    assert _hit_ids(browser) == first_page


COUNT_FETCHES = """
window.__searches = 0;
const fetchBefore = window.fetch;
window.fetch = (...args) => { window.__searches += 1; return fetchBefore(...args); };
"""

TYPE = """
const [box, value, type, composing] = arguments;
box.value = value;
box.dispatchEvent(new InputEvent(type, {bubbles: true, data: value, isComposing: composing}));
"""

COMPOSE = """
const [box, type, data] = arguments;
box.dispatchEvent(new CompositionEvent(type, {bubbles: true, data: data}));
"""


def test_no_search_while_an_ime_composes(site, browser):
    import time

    from selenium.webdriver.common.by import By

    browser.get(site.url)
    browser.execute_script(COUNT_FETCHES)
    box = browser.find_element(By.NAME, "q")
    start_url = browser.current_url

    browser.execute_script(COMPOSE, box, "compositionstart", "")
    for partial in ("え", "えき", "えきし", "えきしん", "液浸"):
        browser.execute_script(COMPOSE, box, "compositionupdate", partial)
        browser.execute_script(TYPE, box, partial, "input", True)
        time.sleep(0.2)
    time.sleep(1.5)  # five times the page's debounce: a search would have started
    assert browser.execute_script("return window.__searches") == 0
    assert browser.current_url == start_url

    browser.execute_script(COMPOSE, box, "compositionend", "液浸")
    _wait(browser, lambda d: _query_of(d.current_url).get("q") == ["液浸"])
    assert browser.execute_script("return window.__searches") == 1
    _wait(browser, lambda d: len(_hit_ids(d)) > 0)

    # typing without an IME searches as you type too
    browser.execute_script(TYPE, box, "液浸冷却", "input", False)
    _wait(browser, lambda d: _query_of(d.current_url).get("q") == ["液浸冷却"])
    _wait(browser, lambda d: len(_hit_ids(d)) == 5)
