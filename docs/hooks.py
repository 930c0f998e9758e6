"""MkDocs hooks: the pages that must not drift from the code are written from it at build time.

`<!-- zoo:usage CMD -->` becomes `zoo CMD --help` as the parser prints it, `<!-- zoo:models -->`
the model table (what `zoo info` reports for every registered model) and
`<!-- zoo:search-spaces -->` the tuner's search-space table. A placeholder that names an unknown
command is an error, so a renamed command breaks `mkdocs build --strict` instead of the page.
"""

import contextlib
import io
import os
import re

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

_PLACEHOLDER = re.compile(r"<!-- zoo:(usage|models|search-spaces)(?: ([\w-]+))? -->")
_cache = {}


def _usage(command):
    from zoo import cli

    parser = cli.build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")  # argparse keeps subparsers here
    if command not in sub.choices:
        raise ValueError(f"docs: <!-- zoo:usage {command} --> names no zoo command; the commands are {', '.join(sub.choices)}")
    text = sub.choices[command].format_help()
    return "```text\n" + text.rstrip() + "\n```"


def _info_rows(name):
    from zoo import cli

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        cli.main(["info", name])
    rows = {}
    for line in out.getvalue().splitlines():
        key, _, value = line.partition(": ")
        rows[key.strip()] = value.strip()
    return rows


def _models():
    import gc

    import keras

    import zoo
    from zoo import registry

    lines = ["| model | task | default input | parameters | loads |", "|---|---|---|---|---|"]
    papers = ["", "## References", ""]
    for name in zoo.list_models():
        spec = registry.get_spec(name)
        rows = _info_rows(name)
        keras.backend.clear_session()  # each model built for its count is let go: the build stays under 1.5 GB
        gc.collect()
        shape = "×".join(str(d) for d in spec.default_input_shape)
        loads = rows.get("checkpoints", "").replace(" (weights=, zoo convert)", "")
        cells = [f"`{name}`", spec.task, shape, rows.get("parameters", "").split(" (")[0], loads]
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
        papers.append(f"- `{name}`: {spec.paper}")
    return "\n".join(lines + papers)


def _search_spaces():
    from zoo.tuning import hypermodels

    return hypermodels.search_space_table()


def _render(kind, arg):
    key = (kind, arg)
    if key not in _cache:
        if kind == "usage":
            _cache[key] = _usage(arg)
        elif kind == "models":
            _cache[key] = _models()
        else:
            _cache[key] = _search_spaces()
    return _cache[key]


def on_page_markdown(markdown, page, config, files):
    return _PLACEHOLDER.sub(lambda m: _render(m.group(1), m.group(2)), markdown)
