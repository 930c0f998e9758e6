"""The documentation site builds strictly, README is a front page whose links land in the site,
and the pages written from the code (models, commands, search spaces) show what the code has."""

import argparse
import html
import os
import re
import subprocess
import sys

import pytest

from tests.browser import assert_reads_well, browser, look  # noqa: F401  (browser is a fixture)
from tests.conftest import ROOT

README = os.path.join(ROOT, "README.md")
DOCS = os.path.join(ROOT, "docs")


def _readme():
    return open(README, encoding="utf-8").read()


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    pytest.importorskip("mkdocs", reason="mkdocs is in the `docs` extra (make test installs it)")
    out = tmp_path_factory.mktemp("site")
    env = dict(os.environ, PYTHONPATH=ROOT, NO_MKDOCS_2_WARNING="1", TF_CPP_MIN_LOG_LEVEL="3")
    proc = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-d", str(out)],
                          cwd=ROOT, capture_output=True, text=True, timeout=600, env=env)
    assert proc.returncode == 0, proc.stderr[-4000:]
    return out


def _page(site, path):
    return html.unescape(open(os.path.join(site, path, "index.html"), encoding="utf-8").read())


def test_readme_is_a_front_page():
    text = _readme()
    assert len(text.encode()) <= 12 * 1024, f"README.md is {len(text.encode()):,} bytes: the manual belongs in docs/"
    assert text.index("make demo") < 400 and text.index("make test") < 400
    for user in ("Instructors", "Students", "Practitioners"):
        assert f"**{user}**" in text


def test_every_readme_link_lands_in_the_site():
    links = re.findall(r"\]\(([^)#]+)(?:#([^)]+))?\)", _readme())
    local = [(p, a) for p, a in links if not p.startswith(("http://", "https://"))]
    assert len(local) >= 10
    for path, anchor in local:
        assert path.startswith("docs/") and path.endswith(".md"), f"README links {path!r} outside the site"
        target = os.path.join(ROOT, path)
        assert os.path.isfile(target), f"README links {path!r}, which does not exist"
        if anchor:
            headings = re.findall(r"^#+ (.+)$", open(target, encoding="utf-8").read(), flags=re.M)
            slugs = {re.sub(r"[^\w\- ]", "", h.lower()).strip().replace(" ", "-") for h in headings}
            assert anchor in slugs, f"README links {path}#{anchor}; the page's headings are {sorted(slugs)}"


def test_the_site_builds_strictly_and_shows_what_the_code_has(site):
    import zoo
    from zoo import cli
    from zoo.tuning import hypermodels

    models = _page(site, "models")
    for name in zoo.list_models():
        assert f"<code>{name}</code>" in models, f"the model table lacks {name}"
    assert "25,610,152" in models  # resnet50's parameters, as `zoo info resnet50` counts them

    parser = cli.build_parser()
    commands = next(a for a in parser._actions if a.dest == "command").choices
    nav = open(os.path.join(ROOT, "mkdocs.yml"), encoding="utf-8").read()
    for name, sub in commands.items():
        assert f"commands/{name}.md" in nav, f"zoo {name} has no page in the site's navigation"
        page = _page(site, f"commands/{name}")
        assert f"usage: zoo {name}" in page
        for action in sub._actions:
            if action.help == argparse.SUPPRESS:  # an old spelling kept for scripts (a deprecation note)
                continue
            for flag in action.option_strings:
                assert flag in page, f"the page of zoo {name} does not show {flag}"

    tuning = _page(site, "topics/tuning")
    rows = [r.split(" | ") for r in hypermodels.search_space_table().splitlines()[2:]]
    assert len(rows) > 20
    for cells in rows:
        family, hp = cells[0].strip("| "), cells[1].strip("`")
        assert f"<td>{family}</td>" in tuning and f"<code>{hp}</code>" in tuning, (family, hp)

    reference = _page(site, "reference/registry")
    assert "register_model" in reference and "get_model" in reference
    for page in ("guides/instructor", "guides/student", "guides/practitioner", "benchmarks", "changelog"):
        assert "<h1" in _page(site, page)


@pytest.mark.parametrize("page", ["index", "guides/instructor", "models"])
def test_documentation_pages_read_well_in_a_browser(page, site, browser, tmp_path):  # noqa: F811
    path = os.path.join(site, "index.html" if page == "index" else os.path.join(page, "index.html"))
    seen = look(browser, path, str(tmp_path / "screenshots"), page.replace("/", "-"))
    print(f"screenshots of {page}: {tmp_path / 'screenshots'}")
    assert_reads_well(seen, f"the {page} page", tables=page != "guides/instructor")
