"""`zoo transfer`: fine-tune a backbone on a class-per-folder image directory."""

from __future__ import annotations

from zoo.commands import preflight
from zoo.commands.argtypes import add_image_size, non_negative_int, positive_float, positive_int
from zoo.commands.training import training_command


def register(sub):
    p = sub.add_parser(
        "transfer",
        help="fine-tune a backbone on a class-per-folder image directory (two phases)",
        description="Fine-tune a backbone on DIR/<class>/<image>: phase 1 trains a new head on the frozen "
        "backbone, phase 2 unfreezes the top --unfreeze blocks at a lower learning rate (BatchNorm stays in "
        "inference mode). Every file is validated first; broken ones are skipped with one warning. Writes "
        "model.keras (takes raw images), labels.json, metrics.json, history.csv and figures into --out.",
    )
    p.add_argument("--data", required=True, help="folder with one sub-folder of images per class")
    p.add_argument("--backbone", required=True, help="zoo classifier (lenet5, resnet18, ...) or keras.applications class (MobileNetV2)")
    p.add_argument("--weights", default=None, help="local .keras or .weights.h5 file with the backbone's weights (default: random init)")
    p.add_argument("--epochs", type=non_negative_int, default=5, help="epochs of phase 1, head only (default 5)")
    p.add_argument("--fine-tune-epochs", type=non_negative_int, default=None, help="epochs of phase 2 (default: --epochs)")
    p.add_argument("--unfreeze", type=non_negative_int, default=1, help="top blocks of the backbone unfrozen in phase 2 (default 1; 0 = phase 1 only)")
    p.add_argument("--lr", type=positive_float, default=1e-3, help="phase-1 learning rate (default 1e-3); phase 2 uses a tenth")
    add_image_size(p, "N or HxW the images are resized to (default: the backbone's / saved model's input size)")
    p.add_argument("--batch-size", type=positive_int, default=32)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", required=True, help="run folder to write")
    p.set_defaults(func=run, preflight=preflight.transfer)


def run(args):
    from zoo.transfer import run_transfer  # Keras-heavy: loaded only when the command runs

    if args.epochs + (args.epochs if args.fine_tune_epochs is None else args.fine_tune_epochs) < 1:
        raise ValueError("--epochs and --fine-tune-epochs are both 0: nothing to train")
    return training_command(run_transfer, args.data, args.backbone, args.out, weights=args.weights, epochs=args.epochs,
                            fine_tune_epochs=args.fine_tune_epochs, batch_size=args.batch_size, seed=args.seed,
                            image_size=args.image_size, unfreeze=args.unfreeze, learning_rates=(args.lr, args.lr / 10))
