"""The child side of the grader: runs ONE exercise of an untrusted submission.

This file is standalone (it imports nothing from zoo): the runner sends its source with
`python -I -S -c`, so the child sees neither the repository path nor the editable install.
It reads framed JSON requests from fd REQ, imports the submission's module from the folder
it runs in, calls one function, turns the result into plain data (arrays, numbers, model
summaries through a fixed set of probes) and writes a framed JSON reply to fd REP. Nothing
the child sends is trusted: the parent decodes it with a strict JSON decoder and does all
the checking itself.

NumPy, Keras and KerasTuner are imported inside the functions that use them: site-packages are
on sys.path only once `bootstrap` or `zygote` has set it, and a NumPy-only exercise's child
never imports Keras.
"""

import base64
import ctypes
import importlib
import json
import os
import random
import resource
import signal
import socket
import struct
import sys
import tempfile
import traceback

MAX_MESSAGE = 256 * 1024 * 1024


# ----------------------------------------------------------------------------- wire format
def encode(obj, depth=0):
    """Plain data -> JSON-safe structure (ndarrays as dtype/shape/base64)."""
    import numpy as np

    if depth > 50:
        raise TypeError("nested too deeply")
    if obj is None or isinstance(obj, (bool, str)):
        return obj
    if isinstance(obj, (int, float)):
        return obj
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, (list, tuple)):
        items = [encode(o, depth + 1) for o in obj]
        return {"__tuple__": items} if isinstance(obj, tuple) else items
    if isinstance(obj, dict):
        return {"__dict__": [[encode(k, depth + 1), encode(v, depth + 1)] for k, v in obj.items()]}
    if hasattr(obj, "shape") and hasattr(obj, "dtype") or isinstance(obj, np.ndarray):
        arr = np.asarray(obj)
        if arr.dtype.kind not in "biuf":
            raise TypeError(f"an array of dtype {arr.dtype} (only numbers and booleans can be graded)")
        arr = np.ascontiguousarray(arr)
        return {"__nd__": [arr.dtype.str, list(arr.shape), base64.b64encode(arr.tobytes()).decode()]}
    raise TypeError(f"a {type(obj).__name__} (expected numbers, arrays, lists, tuples or dicts)")


def decode(obj):
    import numpy as np

    if isinstance(obj, list):
        return [decode(o) for o in obj]
    if isinstance(obj, dict):
        if "__tuple__" in obj:
            return tuple(decode(o) for o in obj["__tuple__"])
        if "__dict__" in obj:
            return {decode(k): decode(v) for k, v in obj["__dict__"]}
        if "__nd__" in obj:
            dt, shape, data = obj["__nd__"]
            return np.frombuffer(base64.b64decode(data), dtype=np.dtype(dt)).reshape(shape).copy()
        return {k: decode(v) for k, v in obj.items()}
    return obj


def read_message(fd):
    head = _read_exact(fd, 8)
    if head is None:
        return None
    (n,) = struct.unpack("<Q", head)
    if n > MAX_MESSAGE:
        raise ValueError("message too large")
    body = _read_exact(fd, n)
    return json.loads(body.decode())


def _read_exact(fd, n):
    chunks, got = [], 0
    while got < n:
        b = os.read(fd, min(n - got, 1 << 20))
        if not b:
            return None
        chunks.append(b)
        got += len(b)
    return b"".join(chunks)


def write_message(fd, obj):
    body = json.dumps(obj).encode()
    data = struct.pack("<Q", len(body)) + body
    view = memoryview(data)
    while view:
        k = os.write(fd, view)
        view = view[k:]


# ----------------------------------------------------------------------------- special arguments
def cubic(w):
    """f(w) = sum(w**3) + sum(w[:-1] * w[1:]): a test function with a known gradient."""
    import numpy as np

    w = np.asarray(w, dtype=np.float64)
    return float(np.sum(w**3) + np.sum(w.ravel()[:-1] * w.ravel()[1:]))


CALLABLES = {"cubic": cubic}


def tiny_backbone(input_shape=(16, 16, 3), name="backbone"):
    """A small pretrained-looking CNN with BatchNorm, for the transfer-learning exercise."""
    import keras
    from keras import layers

    inp = keras.Input(input_shape)
    x = layers.Conv2D(8, 3, padding="same", name="conv1")(inp)
    x = layers.BatchNormalization(name="bn1")(x)
    x = layers.ReLU(name="relu1")(x)
    x = layers.MaxPooling2D(2, name="pool1")(x)
    x = layers.Conv2D(16, 3, padding="same", name="conv2")(x)
    x = layers.BatchNormalization(name="bn2")(x)
    x = layers.ReLU(name="relu2")(x)
    return keras.Model(inp, x, name=name)


def materialise(arg):
    if isinstance(arg, dict) and len(arg) == 1:
        (k, v), = arg.items()
        if k == "__callable__":
            return CALLABLES[v]
        if k == "__backbone__":
            return tiny_backbone(**v)
        if k == "__hp__":  # {"name": value, ...}: values the search would have chosen
            import keras_tuner

            hp = keras_tuner.HyperParameters()
            for name, value in (v if isinstance(v, dict) else {}).items():
                hp.values[name] = value
            return hp
        if k == "__tmpdir__":
            return tempfile.mkdtemp(prefix="work-", dir=os.getcwd())
    if isinstance(arg, list):
        return [materialise(a) for a in arg]
    if isinstance(arg, tuple):
        return tuple(materialise(a) for a in arg)
    return arg


# ----------------------------------------------------------------------------- probes
def export_model(model):
    """A model as plain data: its Keras config (JSON text) and its weights. The trusted process
    rebuilds it (safe_mode) and computes every summary, count and output itself: nothing the
    child says about a model is believed."""
    import keras
    import numpy as np

    if not isinstance(model, keras.Model):
        raise TypeError(f"expected a keras.Model, got {type(model).__name__}")
    config = json.dumps(keras.saving.serialize_keras_object(model))
    return {"__model__": {"config": config, "weights": [np.asarray(w) for w in model.get_weights()]}}


def probe_model(fn, args, kwargs):
    return export_model(fn(*args, **kwargs))


def probe_block(fn, args, kwargs, input_shape):
    """Calls fn(keras.Input(input_shape), *args): the model around the block."""
    import keras

    inp = keras.Input(tuple(input_shape))
    out = fn(inp, *args, **kwargs)
    return export_model(keras.Model(inp, out))


def probe_models(fn, args, kwargs):
    """For functions returning a tuple of models."""
    return tuple(export_model(m) for m in fn(*args, **kwargs))


def probe_hypermodel(fn, args, kwargs):
    """fn(hp) -> compiled model: the hyperparameter space it declared, and the model."""
    hp = args[0]
    model = fn(*args, **kwargs)
    space = []
    for p in hp.space:
        cfg = p.get_config()
        row = {"name": p.name, "class": type(p).__name__}
        for k in ("values", "min_value", "max_value", "sampling", "step", "default"):
            if k in cfg:
                v = cfg[k]
                row[k] = list(v) if isinstance(v, tuple) else v
        space.append(row)
    return {"space": space, "model": export_model(model)}


MAX_RECORDED = 1_000_000  # values of one recorded array; larger ones are recorded by their shape


def probe_fits(fn, args, kwargs):
    """Calls fn with every `keras.Model.fit` recorded: the inputs, targets, epochs and batch size
    that reached it, so a graded test judges training by what it did, not by the numbers the
    function returns. Returns {"result": fn's result, "fits": [{"x", "y", "shape_x", "shape_y",
    "val_x", "val_y", "epochs", "initial_epoch", "batch_size"}, ...]} (arrays over MAX_RECORDED
    values, datasets and generators as None; validation data given as (x, y) pairs)."""
    import inspect

    import keras
    import numpy as np

    real = keras.Model.fit
    signature = inspect.signature(real)
    fits = []

    def plain(v):
        try:
            a = np.asarray(v)
        except Exception:  # noqa: BLE001 - a dataset or generator: recorded as such
            return None, None
        if a.dtype == object:
            return None, None
        return (a if a.size <= MAX_RECORDED else None), list(a.shape)

    def recording(self, *a, **kw):
        bound = signature.bind(self, *a, **kw)
        bound.apply_defaults()
        got = bound.arguments
        x, shape_x = plain(got.get("x"))
        y, shape_y = plain(got.get("y"))
        val = got.get("validation_data")
        val_x, val_y = (plain(val[0])[0], plain(val[1])[0]) if isinstance(val, (tuple, list)) and len(val) >= 2 else (None, None)
        fits.append({"x": x, "y": y, "shape_x": shape_x, "shape_y": shape_y, "val_x": val_x, "val_y": val_y, "epochs": got.get("epochs"),
                     "initial_epoch": got.get("initial_epoch"), "batch_size": got.get("batch_size")})
        return real(self, *a, **kw)

    keras.Model.fit = recording
    try:
        result = fn(*args, **kwargs)
    finally:
        keras.Model.fit = real
    return {"result": result, "fits": fits}


PROBES = {"model": probe_model, "block": probe_block, "models": probe_models,
          "transfer": probe_model, "hypermodel": probe_hypermodel, "fits": probe_fits}


# ----------------------------------------------------------------------------- main loop
def seed_everything():
    import numpy as np

    random.seed(0)
    np.random.seed(0)
    keras = sys.modules.get("keras")
    if keras is None:
        return
    try:
        if keras.backend.backend() == "tensorflow" or "tensorflow" in sys.modules:
            keras.utils.set_random_seed(0)
        else:
            # keras.utils.set_random_seed imports TensorFlow to seed it too: 3-6 s and ~1 GB in
            # every JAX child for nothing. Reset Keras' own global seed as it does, alone.
            from keras.src.backend.common import global_state
            from keras.src.random import seed_generator
            from keras.src.utils import rng_utils

            global_state.set_global_attribute(rng_utils.GLOBAL_RANDOM_SEED, 0)
            global_state.set_global_attribute(seed_generator.GLOBAL_SEED_GENERATOR, None)
    except Exception:
        try:
            keras.utils.set_random_seed(0)
        except Exception:
            pass


def handle(req, modules):
    name = req["module"]
    if name not in modules:
        try:
            seed_everything()
            modules[name] = importlib.import_module(name)
        except BaseException as e:  # SystemExit, KeyboardInterrupt included
            modules[name] = e
            return {"ok": False, "phase": "import", "error": f"importing {name}.py failed: {type(e).__name__}: {e}",
                    "traceback": traceback.format_exc(limit=16)}  # the module's own frame is the 9th
    mod = modules[name]
    if req.get("op") == "import" and not isinstance(mod, BaseException):
        return {"ok": True, "value": None}
    if isinstance(mod, BaseException):
        return {"ok": False, "phase": "import", "error": f"importing {name}.py failed: {type(mod).__name__}: {mod}", "traceback": ""}
    try:
        fn = getattr(mod, req["func"], None)
        if fn is None or not callable(fn):
            return {"ok": False, "phase": "call", "error": f"{name}.py defines no function {req['func']}()", "traceback": ""}
        args = materialise(decode(req.get("args", [])))
        kwargs = materialise(decode(req.get("kwargs", {})))
        seed_everything()
        probe = req.get("probe")
        if probe:
            pkw = decode(req.get("probe_kwargs", {}))
            value = PROBES[probe](fn, args, kwargs, **pkw)
        else:
            value = fn(*args, **kwargs)
        return {"ok": True, "value": encode(value)}
    except BaseException as e:
        tb = traceback.format_exc(limit=-6)
        return {"ok": False, "phase": "call", "error": f"{type(e).__name__}: {e}"[:2000], "traceback": tb[-4000:]}


def main(req_fd, rep_fd):
    modules = {}
    while True:
        req = read_message(req_fd)
        if req is None or req.get("op") == "exit":
            break
        if req.get("op") == "ping":
            write_message(rep_fd, {"ok": True, "value": "pong"})
            continue
        reply = handle(req, modules)
        try:
            write_message(rep_fd, reply)
        except (TypeError, ValueError) as e:
            write_message(rep_fd, {"ok": False, "phase": "call", "error": f"could not send the result: {e}", "traceback": ""})
    os._exit(0)


def _prctl(option, value):
    try:
        ctypes.CDLL(None, use_errno=True).prctl(option, value, 0, 0, 0)
    except (OSError, AttributeError):
        pass


def become_submission(ident):
    """Before any submission code: drop to the submission's own uid/gid when the grader runs as
    root (`ident` = [uid, gid]; None keeps the user), forbid regaining privileges, bound the
    uid's processes, and become a subreaper, so every process the exercise starts, double-forked
    or not, stays in this process's tree for the grader's reaper."""
    _prctl(36, 1)  # PR_SET_CHILD_SUBREAPER
    if ident:
        uid, gid, nproc = ident
        os.setgroups([])
        os.setgid(gid)
        os.setuid(uid)
        if os.getuid() != uid or os.geteuid() != uid:
            os._exit(3)
        try:
            resource.setrlimit(resource.RLIMIT_NPROC, (nproc, nproc))
        except (ValueError, OSError):
            pass
    _prctl(38, 1)  # PR_SET_NO_NEW_PRIVS
    die_with_parent()  # again: changing the uid cleared it
    importlib.invalidate_caches()  # folders listed before the switch (as a root without DAC rights) were listed empty


def bootstrap(req_fd, rep_fd, site_dirs, work_dir, *, ident=None, tmpdir=None):
    """Entry point run by `python -I -S -c`: fixes sys.path, drops privileges, then serves requests."""
    sys.path[:] = [work_dir] + [p for p in sys.path if p and os.path.isdir(p)] + list(site_dirs)
    become_submission(ident)
    if tmpdir:
        os.environ["TMPDIR"] = tmpdir
    os.chdir(work_dir)
    # requests and replies travel on their own fds; stdin is closed, stdout/stderr go to a log
    main(req_fd, rep_fd)


# ----------------------------------------------------------------------------- describer
def describer(req_fd, rep_fd, source, env):
    """Runs describer.py's `serve` (its source comes from the trusted process): a process that
    rebuilds models from their plain-data descriptions for the trusted side, which never
    imports Keras. It never runs submission code: it is forked from the fork server (or started
    alone, `describer_bootstrap`), never from an exercise's child."""
    os.environ.update(env)
    namespace = {"__name__": "zoo_grading_describer"}
    exec(compile(source, "describer.py", "exec"), namespace)
    namespace["serve"](req_fd, rep_fd, read_message=read_message, write_message=write_message, encode=encode, decode=decode)
    os._exit(0)


def describer_bootstrap(req_fd, rep_fd, site_dirs, source, env):
    """Entry point run by `python -I -S -c` where the grader uses no fork server."""
    sys.path[:] = [p for p in sys.path if p and os.path.isdir(p)] + list(site_dirs)
    _prctl(4, 0)  # PR_SET_DUMPABLE 0: no process of the same user can trace or read it
    die_with_parent()
    describer(req_fd, rep_fd, source, env)


# ----------------------------------------------------------------------------- fork server
def die_with_parent():
    """Linux: this process gets SIGKILL when its parent ends (PR_SET_PDEATHSIG), so an
    interrupted or killed grader leaves no student code running."""
    _prctl(1, 9)  # PR_SET_PDEATHSIG, SIGKILL


def zygote(sock_fd, site_dirs, preload):
    """Imports the heavy libraries once, then forks one child per exercise on request.

    Requests come on a Unix socket with the child's pipe ends attached (SCM_RIGHTS):
    {"work_dir": ...} + fds (req_r, rep_w, log). The reply is {"pid": ...}. Children are
    reaped automatically (SIGCHLD ignored); each child starts its own session, so the
    parent can kill its whole process group."""
    sys.path[:] = [p for p in sys.path if p and os.path.isdir(p)] + list(site_dirs)
    _prctl(4, 0)  # PR_SET_DUMPABLE 0: a child of the same user cannot trace or read this server
    _prctl(36, 1)  # orphans of an exercise come back here (reaped: SIGCHLD is ignored)
    for name in preload:
        try:
            importlib.import_module(name)
        except Exception:
            pass
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)
    sock = socket.socket(fileno=sock_fd)
    while True:
        try:
            msg, fds, _, _ = socket.recv_fds(sock, 1 << 16, 3)
        except OSError:
            break
        if not msg:
            break
        req = json.loads(msg.decode())
        pid = os.fork()
        if pid == 0:
            try:
                sock.close()
                os.setsid()
                die_with_parent()
                req_r, rep_w, log = fds
                os.dup2(log, 1)
                os.dup2(log, 2)
                os.close(log)
                devnull = os.open(os.devnull, os.O_RDONLY)
                os.dup2(devnull, 0)
                signal.signal(signal.SIGCHLD, signal.SIG_DFL)
                if req.get("role") == "describer":  # the grader's own: keeps the server's identity
                    describer(req_r, rep_w, req["source"], req.get("env", {}))
                become_submission(req.get("ident"))
                os.environ["TMPDIR"] = req.get("tmpdir") or os.path.dirname(req["work_dir"])
                tempfile.tempdir = None
                sys.path.insert(0, req["work_dir"])
                os.chdir(req["work_dir"])
                main(req_r, rep_w)
            finally:
                os._exit(1)
        for fd in fds:
            os.close(fd)
        sock.sendall(json.dumps({"pid": pid}).encode())
    os._exit(0)
