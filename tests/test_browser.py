"""Every kind of report, opened in a real browser at a laptop's and a phone's width: its images
load, its text stays in its boxes, the page does not scroll sideways, and headings and tables are
there. A screenshot of each lands in the test's temporary folder for a person to look at."""

import re
import shutil

import pytest

from tests.browser import assert_reads_well, browser, look  # noqa: F401  (browser is a fixture)
from tests.test_runs import _build
from zoo.training.evaluate import evaluate_path
from zoo.training.report import write_report


@pytest.fixture(scope="module")
def reports(tmp_path_factory):
    """report.html of one tiny finished run of each kind, made on first use."""
    root = tmp_path_factory.mktemp("reports")

    def get(kind):
        out = root / kind
        if not out.exists():
            if kind == "transfer" and not (root / "images").exists():
                _build("images", root)
            if kind == "evaluate":
                if not (root / "train").exists():
                    _build("train", root)
                shutil.copytree(root / "train", out)
                evaluate_path(str(out), "digits")
            else:
                _build(kind, root)
        return write_report(str(out))

    return get


@pytest.mark.parametrize("kind", ["train", "demo", "transfer", "tune", "evaluate"])
def test_every_report_reads_well_in_a_browser(kind, reports, browser, tmp_path):  # noqa: F811
    page = reports(kind)
    captions = re.findall(r"<figcaption>([^<]*)</figcaption>", open(page, encoding="utf-8").read())
    assert captions and not [c for c in captions if c.endswith(".png")], f"figures captioned by file name: {captions}"
    seen = look(browser, page, str(tmp_path / "screenshots"), kind)
    print(f"screenshots of the {kind} report: {tmp_path / 'screenshots'}")
    assert_reads_well(seen, f"the {kind} report", images=2, fits_from=1280)  # a laptop sees every table whole
