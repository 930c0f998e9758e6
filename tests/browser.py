"""A real browser for the tests that check what a person sees: Debian's chromium driven through
chromium-driver by selenium, headless. `make test` installs both where apt-get can (as it does
bubblewrap); elsewhere the tests skip and say why."""

import os
import shutil

import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DRIVER = shutil.which("chromedriver")
WIDTHS = (1280, 390)  # a laptop and a phone

# Every visible text box whose content is wider than the box itself (text running out of it),
# every image that did not load, every box that scrolls sideways, and how far the page does.
_LOOK = """
const out = {broken: [], overflowing: [], scrolling: [], h1: document.querySelectorAll('h1').length,
             tables: document.querySelectorAll('table').length, images: document.images.length,
             pageWidth: document.documentElement.scrollWidth, viewport: window.innerWidth};
for (const img of document.images) {
  if (!img.complete || img.naturalWidth === 0) out.broken.push(img.alt || img.src.slice(0, 80));
}
for (const el of document.querySelectorAll('p, li, td, th, h1, h2, h3, dd, dt, figcaption, img, table')) {
  const style = getComputedStyle(el);
  if (style.display === 'none' || style.visibility === 'hidden') continue;
  const scrolls = (node) => { for (let n = node.parentElement; n; n = n.parentElement) {
      const o = getComputedStyle(n).overflowX; if (o === 'auto' || o === 'scroll') return true; } return false; };
  const rect = el.getBoundingClientRect();
  if (rect.right > window.innerWidth + 1 && !scrolls(el))
    out.overflowing.push(el.tagName + ': ' + (el.innerText || el.alt || '').slice(0, 60));
  else if (el.tagName !== 'IMG' && el.tagName !== 'TABLE' && style.overflowX === 'visible'
           && el.scrollWidth > el.clientWidth + 2 && !scrolls(el))
    out.overflowing.push(el.tagName + ': ' + (el.innerText || '').slice(0, 60));
}
for (const el of document.querySelectorAll('body *')) {
  const o = getComputedStyle(el).overflowX;
  if ((o === 'auto' || o === 'scroll') && el.scrollWidth > el.clientWidth + 2)
    out.scrolling.push(el.tagName + ' (' + el.scrollWidth + ' px in ' + el.clientWidth + '): ' + (el.innerText || '').slice(0, 60));
}
return out;
"""

_WAIT = "return document.readyState === 'complete' && Array.from(document.images).every(i => i.complete);"


@pytest.fixture(scope="module")
def browser():
    webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is in the test extra (make test installs it)")
    if not (CHROMIUM and DRIVER):
        pytest.skip("no chromium / chromedriver on PATH: `apt-get install chromium chromium-driver` "
                    "(make test does so as root where apt-get works)")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--hide-scrollbars", "--force-device-scale-factor=1"):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=webdriver.ChromeService(executable_path=DRIVER), options=options)
    driver.set_page_load_timeout(60)
    yield driver
    driver.quit()


def look(driver, path, shots, name):
    """Opens the file `path` at every width, waits for its images, saves a screenshot per width
    under `shots` and returns {width: what the page shows (see _LOOK)}."""
    from selenium.webdriver.support.ui import WebDriverWait

    seen = {}
    for width in WIDTHS:
        driver.set_window_size(width, 900)
        driver.get("file://" + os.path.abspath(path))
        WebDriverWait(driver, 30).until(lambda d: d.execute_script(_WAIT))
        seen[width] = driver.execute_script(_LOOK)
        height = min(driver.execute_script("return document.documentElement.scrollHeight"), 6000)
        driver.set_window_size(width, max(height, 600))
        os.makedirs(shots, exist_ok=True)
        driver.save_screenshot(os.path.join(shots, f"{name}-{width}.png"))
    return seen


def assert_reads_well(seen, name, *, tables=True, images=0, fits_from=None):
    """`fits_from`: from this width on, no box of the page scrolls sideways either (a table that
    does is read through a slot)."""
    for width, page in seen.items():
        where = f"{name} at {width} px"
        assert page["h1"] >= 1, f"{where}: no heading"
        assert not tables or page["tables"] >= 1, f"{where}: no table"
        assert page["images"] >= images, f"{where}: {page['images']} images, expected {images} or more"
        assert not page["broken"], f"{where}: images that do not load: {page['broken']}"
        assert not page["overflowing"], f"{where}: text out of its box: {page['overflowing'][:5]}"
        assert page["pageWidth"] <= page["viewport"] + 1, f"{where}: the page scrolls sideways ({page['pageWidth']} px)"
        assert fits_from is None or width < fits_from or not page["scrolling"], \
            f"{where}: boxes that scroll sideways: {page['scrolling'][:3]}"
