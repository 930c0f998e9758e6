"""The CLI's messages as users meet them: refusals of bad paths in one line before Keras is imported,
no TensorFlow start-up lines, non-ASCII class names kept in --json, a report that cannot be written
where it would go says how to write it elsewhere."""

import errno
import json
import os
import re
import subprocess
import sys
import zipfile

import pytest

from tests.conftest import ROOT
from zoo import cli, io
try:
    from zoo.checks import check_model_file
except ImportError:
    check_model_file = None

NATIVE_LOG = re.compile(r"^[IWEF]\d{4} \d\d:\d\d:\d\d|absl::InitializeLog|rebuild TensorFlow with the appropriate", re.M)

# each refusal before any Keras import: (argv, words of the one line)
REFUSALS = [
    (["train", "lenet5", "--dataset", "folder:{onecls}", "--out", "{tmp}/run"],
     ["--dataset folder:{onecls} needs at least 2 class sub-folders", "found 1 ('a')", "add a sub-folder"]),
    (["train", "lenet5", "--dataset", "folder:{tmp}/none", "--out", "{tmp}/run"], ["--dataset folder:{tmp}/none: no such folder"]),
    (["train", "lenet5", "--dataset", "digits", "--out", "{text}"], ["--out", "is a file, not a folder"]),
    (["tune", "lenet5", "--tuner", "random", "--dataset", "folder:{onecls}", "--out", "{tmp}/t"], ["--dataset folder:", "at least 2"]),
    (["check", "lenet5", "--dataset", "folder:{onecls}"], ["--dataset folder:", "at least 2"]),
    (["compare", "optimizers", "--model", "lenet5", "--dataset", "folder:{onecls}"], ["--dataset folder:", "at least 2"]),
    (["predict", "{text}", "{img}"], ["'{text}' is not a model file", "a .keras file is a zip archive and this one is text",
                                      "model.save()"]),
    (["predict", "{tmp}/none.keras", "{img}"], ["'{tmp}/none.keras': no such file or folder", "run folder"]),
    (["predict", "{onecls}", "{img}"], ["is a folder without model.keras"]),
    (["predict", "{zip}", "{tmp}/none.png"], ["INPUT '{tmp}/none.png': no such file or folder"]),
    (["evaluate", "{text}", "--dataset", "digits"], ["is not a model file"]),
    (["evaluate", "{zip}", "--dataset", "folder:{onecls}"], ["--dataset folder:", "at least 2"]),
    (["transfer", "--data", "{onecls}", "--backbone", "lenet5", "--out", "{tmp}/tr"], ["--data {onecls} needs at least 2 class"]),
    (["transfer", "--data", "{tmp}/none", "--backbone", "lenet5", "--out", "{tmp}/tr"], ["--data {tmp}/none: no such folder"]),
    (["transfer", "--data", "{two}", "--backbone", "lenet5", "--weights", "{text}", "--out", "{tmp}/tr"],
     ["--weights='{text}' is not a model file"]),
    (["transfer", "--data", "{two}", "--backbone", "lenet5", "--weights", "{tmp}/w.weights.h5", "--out", "{tmp}/tr"],
     ["--weights '{tmp}/w.weights.h5': no such file"]),
    (["convert", "{tmp}/none.pth", "--model", "resnet18", "--out", "{tmp}/m.keras"], ["CHECKPOINT", "no such file"]),
    (["convert", "{text}", "--model", "resnet18", "--out", "{tmp}/missing/m.keras"], ["the folder '{tmp}/missing' does not exist", "mkdir -p"]),
    (["exercises", "pack", "--out", "{tmp}/missing/dir/a.zip"], ["--out '{tmp}/missing/dir/a.zip': the folder '{tmp}/missing/dir' does not exist"]),
]


@pytest.fixture
def places(tmp_path):
    onecls = tmp_path / "onecls" / "a"
    onecls.mkdir(parents=True)
    (onecls / "0.png").write_bytes(b"\x89PNG")
    for c in ("a", "b"):
        (tmp_path / "two" / c).mkdir(parents=True)
    (tmp_path / "text.keras").write_text("not a model\n")
    with zipfile.ZipFile(tmp_path / "zip.keras", "w") as z:
        z.writestr("config.json", "{}")
    return {"tmp": str(tmp_path), "onecls": str(tmp_path / "onecls"), "two": str(tmp_path / "two"),
            "text": str(tmp_path / "text.keras"), "zip": str(tmp_path / "zip.keras"), "img": str(onecls / "0.png")}


def test_bad_paths_are_refused_in_one_line_before_keras_is_imported(places):
    """Every refusal here came after a 12-20 s Keras import; now keras is not even in sys.modules."""
    cases = [[a.format(**places) for a in argv] for argv, _ in REFUSALS]
    script = ("import io, json, sys, contextlib\nfrom zoo import cli\nout = []\n"
              "for argv in json.loads(sys.argv[1]):\n"
              "    err = io.StringIO()\n"
              "    with contextlib.redirect_stderr(err):\n"
              "        rc = cli.main(argv)\n"
              "    out.append([rc, err.getvalue(), 'keras' in sys.modules, 'tensorflow' in sys.modules])\n"
              "print(json.dumps(out))\n")
    env = dict(os.environ, PYTHONPATH=ROOT)
    proc = subprocess.run([sys.executable, "-c", script, json.dumps(cases)], cwd=places["tmp"], env=env,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    for (argv, words), (rc, err, keras_loaded, tf_loaded) in zip(REFUSALS, json.loads(proc.stdout)):
        lines = err.strip().splitlines()
        assert rc == 2 and len(lines) == 1 and lines[0].startswith("zoo: error: "), (argv, rc, err)
        for w in words:
            assert w.format(**places) in lines[0], (argv, lines[0])
        assert ".tmp" not in lines[0], lines[0]
        assert not keras_loaded and not tf_loaded, f"{argv[0]} imported Keras before refusing: {lines[0]}"


def test_a_text_file_named_keras_is_not_called_missing(tmp_path):
    import zoo

    path = tmp_path / "m.keras"
    path.write_text("hello")
    with pytest.raises(ValueError, match=r"path='.*m.keras' is not a model file: a .keras file is a zip archive and this one is text"):
        zoo.load_model(str(path))
    path.write_bytes(b"\x00\x9f\x92\x96" * 10)
    with pytest.raises(ValueError, match="this one is another kind of file"):
        check_model_file("weights", str(path))
    path.write_bytes(b"")
    with pytest.raises(ValueError, match="this one is empty"):
        check_model_file("weights", str(path))


def test_an_atomic_write_names_the_file_asked_for_not_its_temporary(tmp_path, monkeypatch):
    target = tmp_path / "missing" / "dir" / "a.zip"
    with pytest.raises(FileNotFoundError) as e:
        io.write_text(str(target), "x")
    assert str(target) in str(e.value) and "does not exist" in str(e.value) and ".tmp" not in str(e.value)

    def read_only(*a, **k):
        raise OSError(errno.EROFS, "Read-only file system")

    monkeypatch.setattr(io.tempfile, "mkstemp", read_only)
    with pytest.raises(PermissionError, match=r"cannot write .*report.html.*not writable \(Read-only file system\)"):
        io.write_text(str(tmp_path / "report.html"), "x")


def test_report_on_a_read_only_run_folder_suggests_out(tmp_path, monkeypatch, capsys):
    from zoo.training import report

    run = tmp_path / "run"
    run.mkdir()
    monkeypatch.setattr(report, "build_html", lambda run_dir: "<html></html>")

    def read_only(*a, **k):
        raise OSError(errno.EROFS, "Read-only file system")

    monkeypatch.setattr(io.tempfile, "mkstemp", read_only)
    assert cli.main(["report", str(run)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "Read-only file system" in err[0] and ".tmp" not in err[0], err
    assert f"pass --out FILE.html to write the report elsewhere, e.g. zoo report {run} --out report.html" in err[0]


def test_predict_json_keeps_non_ascii_class_names(tmp_path, monkeypatch, capsys):
    from zoo.training import predict

    model = tmp_path / "m.keras"
    with zipfile.ZipFile(model, "w") as z:
        z.writestr("config.json", "{}")
    image = tmp_path / "x.png"
    image.write_bytes(b"\x89PNG")
    records = [{"path": str(image), "label": "café crème", "probability": 0.9}, {"path": "b", "label": "猫", "probability": 0.1}]
    monkeypatch.setattr(predict, "predict_paths", lambda path, inputs, out=None: records)
    assert cli.main(["predict", str(model), str(image), "--json"]) == 0
    out = capsys.readouterr().out
    assert '"label": "café crème"' in out and '"label": "猫"' in out and "\\u" not in out
    assert json.loads(out) == records


def test_tensorflow_start_up_lines_are_held_back_wherever_it_is_imported():
    """On JAX, TensorFlow comes in late (a TensorBoard callback, tfds): its import and run-time
    C++ lines stay off the terminal as on the TensorFlow backend, with no log level set."""
    pytest.importorskip("tensorflow")
    script = ("import sys\nfrom zoo import cli\ncli.main(['list', 'lenet*'])\n"
              "import tensorflow as tf\n"
              "tf.config.list_physical_devices()\n"
              "ds = tf.data.Dataset.range(8).map(lambda x: x * 2, num_parallel_calls=2).batch(4)\n"
              "print(sum(int(b.sum()) for b in ds.as_numpy_iterator()))\n")
    env = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    env.update(PYTHONPATH=ROOT, KERAS_BACKEND="jax")
    proc = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["lenet5", "classification", "32x32x1", "lenet", "56"]
    assert not NATIVE_LOG.search(proc.stderr), proc.stderr


def test_the_gradescope_self_check_of_setup_sh_prints_one_line():
    env = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    env.update(PYTHONPATH=ROOT, KERAS_BACKEND="tensorflow")
    proc = subprocess.run([sys.executable, "-m", "zoo.grading.gradescope", "--self-check", "--root", ROOT], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert (proc.stdout + proc.stderr).strip().splitlines() == [proc.stdout.strip()]
    assert proc.stdout.startswith("zoo autograder ready: ")


def _check(*args, cwd=ROOT):
    env = dict(os.environ, PYTHONPATH=ROOT)
    return subprocess.run([sys.executable, "-m", "zoo", "exercises", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=600)


def test_exercises_check_k_selects_tests_by_their_names_never_by_module():
    """`-k conv` in ex01_conv_pool: pytest's own -k matched the module name and ran all five tests."""
    proc = _check("check", "ex01", "-k", "conv", "--submission", "solutions")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    ran = re.findall(r"^PASS\s+ex01_conv_pool: (test_\w+)", proc.stdout, re.M)
    assert ran == ["test_conv_slide_example"], proc.stdout
    proc = _check("check", "ex01", "-k", "nothing_of_the_kind", "--submission", "solutions")
    assert proc.returncode == 2 and proc.stderr.strip().splitlines() == [
        "zoo: error: -k nothing_of_the_kind selects no visible test of ex01_conv_pool: -k matches test names "
        "(e.g. -k avg_pool); `zoo exercises check` without -k shows them all"], proc.stdout + proc.stderr
    proc = _check("check", "ex01", "-k", "pool(")
    assert proc.returncode == 2 and "-k 'pool(' is not a test-name expression" in proc.stderr and len(proc.stderr.splitlines()) == 1


def test_exercises_build_without_solutions_says_what_it_needs(tmp_path):
    (tmp_path / "tests" / "exercises").mkdir(parents=True)  # a student release: tests, stubs, no solutions
    (tmp_path / "exercises").mkdir()
    proc = _check("build", cwd=str(tmp_path))
    lines = proc.stderr.strip().splitlines()
    assert proc.returncode == 2 and len(lines) == 1, proc.stderr
    assert "`zoo exercises build` makes the stubs from solutions/exNN_*.py" in lines[0]
    assert "the student release leaves them out" in lines[0] and "run `zoo exercises check`" in lines[0]
    assert "run zoo from the course repository or the unpacked student release" not in lines[0]


@pytest.mark.parametrize("argv", [["list"], ["info", "resnet20"], ["grade", "solutions", "--exercise", "ex01"]],
                         ids=["list", "info", "grade"])
def test_output_piped_to_a_reader_that_stopped_ends_quietly(argv):
    """`zoo list | head -1`: the reader has gone before zoo writes; zoo ends as Unix tools do,
    with SIGPIPE's status 141 and nothing on stderr (no BrokenPipeError traceback)."""
    env = dict(os.environ, PYTHONPATH=ROOT)
    proc = subprocess.Popen([sys.executable, "-m", "zoo", *argv], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    proc.stdout.close()  # the reader is gone: every write of zoo's meets a closed pipe
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=300) == 141, err
    assert "Traceback" not in err and "BrokenPipe" not in err and "Exception ignored" not in err, err
