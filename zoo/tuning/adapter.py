"""The one place zoo reaches into KerasTuner's private code.

KerasTuner's public API (`keras_tuner.*`) covers tuners, oracles, HyperModels and
HyperParameters; `zoo tune` needs six things it does not offer, each filled here and nowhere
else: crash-safe state files, a retry queue that forgets trials that already ended, the
distributed roles read from KERASTUNER_*, a chief that ends as soon as its workers are done,
the size of a Hyperband iteration, and which values of a Hyperband trial are its bookkeeping. They use names under `keras_tuner.src` and private
attributes, which exist unchanged in keras-tuner 1.4.6 through 1.4.8 (read in its sources;
1.4.7 is the floor because its workers wait up to 60 min, not 5, for a chief that is slow to
start). `SUPPORTED` (the same bounds as setup.cfg) is checked when this module is imported, so
another release fails here with the version named instead of misbehaving inside a search.
"""

from __future__ import annotations

import json
import os
import time
from concurrent import futures

import grpc
import keras_tuner as kt
from packaging.specifiers import SpecifierSet
from packaging.version import InvalidVersion, Version

from zoo.io import write_text

# The keras-tuner releases whose private names below were read; setup.cfg bounds keras-tuner the same.
SUPPORTED = SpecifierSet(">=1.4.7,<1.5")


class UnsupportedKerasTunerError(ImportError):
    """The installed keras-tuner is outside `SUPPORTED`."""


def check_version(version):
    """Returns `version` if it is a supported keras-tuner release, else raises
    UnsupportedKerasTunerError naming it, the supported range and the pip command."""
    try:
        ok = Version(str(version)) in SUPPORTED
    except InvalidVersion:
        ok = False
    if not ok:
        raise UnsupportedKerasTunerError(
            f"zoo's tuning supports keras-tuner {SUPPORTED}; the installed keras-tuner is {version}. "
            f"Install a supported one: pip install 'keras-tuner{SUPPORTED}'"
        )
    return version


check_version(kt.__version__)  # before the private imports, which another release may lack

# Private names of keras-tuner 1.4.x (the packaged layout moves its sources under keras_tuner/src).
from keras_tuner.src import protos  # noqa: E402  the gRPC service the chief serves
from keras_tuner.src import utils as kt_utils  # noqa: E402  save_json, the writer of every state file
from keras_tuner.src.distribute import oracle_chief  # noqa: E402  the servicer and its end condition
from keras_tuner.src.distribute import utils as dist_utils  # noqa: E402  the KERASTUNER_* roles

TrialStatus = kt.engine.trial.TrialStatus
ENDED = (TrialStatus.COMPLETED, TrialStatus.FAILED)


def install_atomic_json():
    """Routes KerasTuner's state writes (oracle.json, trial.json, tuner0.json) through a
    temporary file + rename, process-wide; idempotent.

    Gap: KerasTuner writes them in place (truncate, then write) and offers no hook for how; a
    kill -9 at that moment leaves an empty file and the rerun cannot resume ("Expecting value:
    line 1 column 1"). Its writers look `save_json` up on `keras_tuner.src.utils` at each call,
    so replacing that attribute reaches all of them.
    """
    if getattr(kt_utils.save_json, "zoo_atomic", False):
        return
    original = kt_utils.save_json

    def save_json(path, obj):
        if "://" in str(path):  # remote file systems: KerasTuner's own writer
            return original(path, obj)
        text = json.dumps(obj)
        write_text(path, text)
        return text

    save_json.zoo_atomic = True
    kt_utils.save_json = save_json


def drop_stale_retries(oracle):
    """After a reload, trials that had already ended (their trial.json says so) leave the
    oracle's retry queue and its ongoing trials.

    Gap: KerasTuner saves oracle.json once just before it clears a finished trial, so a kill at
    that moment would run the trial again; the queue (`Oracle._retry_queue`) has no public API.
    """
    queue = getattr(oracle, "_retry_queue", None)
    if queue:
        oracle._retry_queue = [t for t in queue if oracle.trials[t].status not in ENDED]
    for tid, trial in list(oracle.ongoing_trials.items()):
        if trial.status in ENDED:
            oracle.ongoing_trials.pop(tid)


def distributed():
    """Whether this process is part of a distributed search (KERASTUNER_ORACLE_IP set).

    Gap: KerasTuner reads its roles from the environment in `distribute.utils` only, with its
    own checks of the companion variables; zoo asks the same function rather than a copy."""
    return dist_utils.has_chief_oracle()


def is_chief():
    """Whether this process is the chief (the oracle server) of a distributed search."""
    return dist_utils.is_chief_oracle()


def serve_as_chief(tuner, *, verbose=True, poll=0.5):
    """What `tuner.search` does on the chief: serve the oracle on
    KERASTUNER_ORACLE_IP:KERASTUNER_ORACLE_PORT until every worker got STOPPED and no trial runs.

    Gap: KerasTuner's `oracle_chief.start_server` polls for that end every 20 s and cannot be
    told otherwise; this loop serves the same `OracleServicer` and checks the same
    `exit_chief` every `poll` s.
    """
    oracle = tuner.oracle
    oracle.verbose = 2 if verbose else 0
    tuner.save()
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=1))
    servicer = oracle_chief.OracleServicer(oracle)
    protos.get_service_grpc().add_OracleServicer_to_server(servicer, server)
    server.add_insecure_port(f"{os.environ['KERASTUNER_ORACLE_IP']}:{os.environ['KERASTUNER_ORACLE_PORT']}")
    server.start()
    try:
        while not (servicer.stop_triggered and oracle_chief.exit_chief(oracle)):
            time.sleep(poll)
    finally:
        server.stop(grace=1)


def hyperband_iteration(max_epochs, factor):
    """(brackets, trials) of one Hyperband iteration with these `max_epochs` and `factor`.

    Gap: the bracket and round sizes are private methods of `HyperbandOracle`
    (`_get_num_brackets`, `_get_num_rounds`, `_get_size`); asking the oracle keeps zoo's plan
    equal to what it runs."""
    oracle = kt.oracles.HyperbandOracle(objective="val_loss", max_epochs=max_epochs, factor=factor)
    brackets = oracle._get_num_brackets()
    trials = sum(oracle._get_size(b, r) for b in range(brackets) for r in range(oracle._get_num_rounds(b)))
    return brackets, trials


# Hyperband writes its bookkeeping into each trial's hyperparameter values under this prefix.
BOOKKEEPING = "tuner/"


def space_values(values):
    """A trial's hyperparameter values without the tuner's bookkeeping (the search space only)."""
    return {k: v for k, v in values.items() if not str(k).startswith(BOOKKEEPING)}


def continued_from(values):
    """The id of the trial whose weights this Hyperband trial continues training, or None.

    Gap: Hyperband has no API for a trial's rounds; it keeps them in the trial's values
    (`tuner/trial_id`, `tuner/epochs`, `tuner/initial_epoch`, `tuner/bracket`, `tuner/round`),
    so a continued trial is a new trial with the same search-space values."""
    return values.get(BOOKKEEPING + "trial_id")


def round_epochs(values):
    """The epoch a Hyperband trial trains up to (`tuner/epochs`), or None for other tuners."""
    return values.get(BOOKKEEPING + "epochs")
