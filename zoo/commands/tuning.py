"""`zoo tune`: KerasTuner search over a model's family, on one process or a chief and K workers."""

from __future__ import annotations

import os
import sys

from zoo.commands import preflight
from zoo.commands.argtypes import add_image_size, model_name, positive_float, positive_int


def register(sub):
    p = sub.add_parser(
        "tune",
        help="KerasTuner search over MODEL's family (random, grid, bayesian, hyperband); rerun to resume",
        description="KerasTuner search over the hyperparameters of MODEL's family and the shared training "
        "hyperparameters. Rerunning the same command resumes (finished trials are kept). Hyperband takes "
        "no trial count: --epochs is its max_epochs (factor 3) and --max-trials sets how many full "
        "Hyperband iterations run (enough to reach about that many trials).",
    )
    p.add_argument("model", type=model_name, help="registered model name, e.g. lenet5")
    p.add_argument("--dataset", default="digits", help="dataset name (default digits)")
    p.add_argument("--tuner", required=True, choices=("random", "grid", "bayesian", "hyperband"))
    p.add_argument("--max-trials", type=positive_int, default=10, help="number of trials (default 10)")
    p.add_argument("--epochs", type=positive_int, default=2, help="epochs per trial; hyperband: max_epochs (default 2)")
    p.add_argument("--seed", type=int, default=0, help="seed of the oracle, the split and the weights (default 0)")
    p.add_argument("--workers", type=int, default=0, help="K >= 1: one chief + K worker processes on this machine")
    p.add_argument("--overwrite", action="store_true", help="delete the search in --out and start over")
    p.add_argument("--objective", default=None, help="metric to optimise (default val_accuracy for classifiers, else val_loss)")
    add_image_size(p, "N or HxW (default: as zoo train: 32x32 for digits or the model's minimum)")
    p.add_argument("--space", action="append", default=[], metavar="NAME=RANGE",
                   help="narrow the search space: lr range 'learning_rate=1e-4:1e-2', choices 'optimizer=adam,sgd', "
                   "or a fixed value 'dropout=0.2' (repeatable)")
    p.add_argument("--train-size", type=positive_int, default=None,
                   help="use only N training examples (and N/4 validation ones): quick looks and tests")
    p.add_argument("--patience", type=positive_int, default=3, help="early stopping inside a trial (epochs, default 3)")
    p.add_argument("--baseline", action="store_true", help="also train the untuned default configuration for comparison")
    p.add_argument("--timeout", type=positive_float, default=6 * 3600, help="distributed: seconds for the whole search (default 6 h)")
    p.add_argument("--out", required=True, help="output folder (search, results.json, model.keras: the best trial's network, plots/)")
    p.set_defaults(func=run, preflight=preflight.dataset_only)


def run(args):
    from zoo.tuning import distributed, search  # KerasTuner and Keras: loaded only when the command runs
    from zoo.training.runs import RunInterrupted
    from zoo.tuning.hypermodels import parse_space

    if args.workers < 0:
        raise ValueError(f"--workers must be >= 1 (0 = no distribution). Received: --workers {args.workers}")
    kw = dict(max_trials=args.max_trials, epochs=args.epochs, seed=args.seed, objective=args.objective,
              image_size=args.image_size, space=parse_space(args.space), train_size=args.train_size,
              patience=args.patience)
    in_cluster = "KERASTUNER_ORACLE_IP" in os.environ  # this process is a chief or worker of a launch
    try:
        if args.workers and not in_cluster:
            distributed.search_distributed(args.model, args.dataset, args.tuner, args.out, workers=args.workers,
                                           space_args=args.space, timeout=args.timeout, overwrite=args.overwrite,
                                           baseline=args.baseline, **kw)
            return 0
        results = search.run_search(args.model, args.dataset, args.tuner, args.out, overwrite=args.overwrite,
                                    baseline=args.baseline, **kw)
    except (search.SearchFailedError, distributed.LaunchError) as e:
        print(f"zoo: error: {e}", file=sys.stderr)
        return 1
    except RunInterrupted as e:  # Ctrl-C: one line with the command that resumes the search
        print(str(e), file=sys.stderr)
        return 130
    return 0 if in_cluster or results["trials_completed"] else 1
