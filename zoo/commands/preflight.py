"""Checks of the paths a command is given, run before Keras is imported (3-20 s): a missing model,
a file that is not one, a dataset folder that cannot train, an --out whose folder is missing is
refused in one line at once. Standard library and `zoo.checks` only; what needs the files' contents
decoded (every image) stays with the library, which checks it again."""

from __future__ import annotations

import os

from zoo.checks import check_model_file


def model_path(path, arg="RUN_DIR|MODEL.keras"):
    """A run folder holding model.keras, or a .keras file in that format."""
    if not os.path.exists(path):
        raise FileNotFoundError(f"{arg} {path!r}: no such file or folder; pass a run folder (it holds model.keras) "
                                "or a .keras file")
    if os.path.isdir(path):
        if not os.path.isfile(os.path.join(path, "model.keras")):
            raise FileNotFoundError(f"{arg} {path!r} is a folder without model.keras: pass a run folder of zoo train, "
                                    "demo, transfer or tune, or a .keras file")
        return
    if not path.endswith(".keras"):
        raise ValueError(f"{arg} {path!r} is neither a run folder nor a .keras file: pass one of those")
    check_model_file(arg, path)


def weights_file(path, arg="--weights"):
    """An existing .keras or .weights.h5 file in its format."""
    if not os.path.isfile(path):
        raise FileNotFoundError(f"{arg} {path!r}: no such file; pass a .keras or .weights.h5 file")
    check_model_file(arg, path)


def image_folder(path, shown):
    """DIR/<class>/<image>: an existing folder with at least 2 class sub-folders. `shown` is how the
    message writes the value (`--data onecls`, `--dataset folder:onecls`)."""
    if not os.path.exists(path):
        raise FileNotFoundError(f"{shown}: no such folder; pass a folder with one sub-folder of images per class "
                                "(DIR/<class>/<image files>)")
    if not os.path.isdir(path):
        raise NotADirectoryError(f"{shown} is a file; pass a folder with one sub-folder of images per class")
    classes = sorted(e for e in os.listdir(path) if not e.startswith(".") and os.path.isdir(os.path.join(path, e)))
    if len(classes) < 2:
        found = f"{len(classes)}" + (f" ({', '.join(repr(c) for c in classes)})" if classes else "")
        raise ValueError(f"{shown} needs at least 2 class sub-folders of images (DIR/<class>/<image files>) to train "
                         f"and evaluate a classifier; found {found}: add a sub-folder of images for each class")


def dataset(name, flag="--dataset"):
    """`folder:PATH` names an image folder; other names are the library's to check."""
    if name.startswith("folder:"):
        image_folder(name[len("folder:"):], f"{flag} {name}")


def inputs(paths, arg="INPUT"):
    """Image files or folders that exist."""
    missing = [p for p in paths if not os.path.exists(p)]
    if missing:
        raise FileNotFoundError(f"{arg} {', '.join(repr(p) for p in missing)}: no such file or folder; "
                                "pass image files or folders of images")


def out_folder_of(path, arg="--out"):
    """The folder a file --out goes into exists."""
    folder = os.path.dirname(path)
    if folder and not os.path.isdir(folder):
        raise FileNotFoundError(f"{arg} {path!r}: the folder {folder!r} does not exist; create it first "
                                f"(mkdir -p {folder}) or choose a path in an existing folder")


def out_dir(path, arg="--out"):
    """A run folder --out is a folder or not there yet."""
    if os.path.exists(path) and not os.path.isdir(path):
        raise NotADirectoryError(f"{arg} {path!r} is a file, not a folder: pass a folder to write the run into")


# one per command: what its flags name on disk
def train(args):
    dataset(args.dataset)
    out_dir(args.out)


def evaluate(args):
    model_path(args.path)
    dataset(args.dataset)


def dataset_only(args):
    dataset(args.dataset)


def predict(args):
    model_path(args.path)
    inputs(args.inputs)


def transfer(args):
    image_folder(args.data, f"--data {args.data}")
    if args.weights:
        weights_file(args.weights)
    out_dir(args.out)


def convert(args):
    if not args.out.endswith(".keras"):
        raise ValueError(f"--out must end in .keras. Received: --out {args.out}")
    if not os.path.isfile(args.checkpoint):
        raise FileNotFoundError(f"CHECKPOINT {args.checkpoint!r}: no such file")
    out_folder_of(args.out)


def exercises(args):
    if args.action == "pack" and args.out:
        out_folder_of(args.out)
