"""A dataset's classes matched to a model's by name, never by position: what `zoo evaluate` scores.

Light on purpose (the standard library only): the command line checks the match before Keras is
imported, from the run folder's labels.json and the dataset's class names.
"""

from __future__ import annotations

import dataclasses
import os

DIGITS = tuple(str(i) for i in range(10))  # zoo.data's digits classes, by name
LISTED = 8  # names listed in a message before "..."


@dataclasses.dataclass(frozen=True)
class ClassMatch:
    """How a dataset's classes map onto a model's.

    Attributes:
        to_model: model class index of each dataset class (index = dataset label).
        classes: the model classes the dataset holds, in the model's order (a subset when the
            dataset holds fewer classes than the model).
        note: one line naming what is not one-to-one (renamed, missing, matched by position), or None.
    """

    to_model: tuple
    classes: tuple
    note: str | None


def parse_class_map(text):
    """{dataset class: model class} from "old=new,old2=new2" or a file of such pairs (one per line
    or comma-separated, # starts a comment).

    Raises:
        ValueError: a pair without "=", an empty name, or one old name given twice.
    """
    if text is None:
        return None
    source = str(text)
    if os.path.isfile(source):
        with open(source, encoding="utf-8") as f:
            source = ",".join(line.split("#", 1)[0] for line in f)
    pairs = {}
    for item in (p.strip() for p in source.split(",")):
        if not item:
            continue
        old, eq, new = (s.strip() for s in item.partition("="))
        if not eq or not old or not new:
            raise ValueError(f"`class_map` takes OLD=NEW pairs separated by commas (or a file of them); {item!r} is not "
                             f"one. Received: class_map={text!r}")
        if old in pairs:
            raise ValueError(f"`class_map` maps {old!r} twice. Received: class_map={text!r}")
        pairs[old] = new
    if not pairs:
        raise ValueError(f"`class_map` holds no OLD=NEW pair. Received: class_map={text!r}")
    return pairs


def dataset_class_names(dataset):
    """The class names of `dataset` known without loading it (digits, folder:PATH), else None."""
    key = str(dataset).strip()
    if key.lower() == "digits":
        return list(DIGITS)
    if key.startswith("folder:"):
        root = key[len("folder:"):]
        if not os.path.isdir(root):
            return None  # the loader names the missing folder
        # the class folders as zoo.data.imagefolder.scan_image_folder lists them
        return [e for e in sorted(os.listdir(root)) if not e.startswith(".") and os.path.isdir(os.path.join(root, e))]
    return None


def match_classes(model_names, data_names, *, class_map=None, dataset="the dataset", named=True):
    """The `ClassMatch` of a dataset's classes `data_names` to a model's `model_names`.

    `class_map` renames dataset classes first ({dataset name: model name}). Every dataset class
    must then be a model class, by name; the model may have more (a subset is scored on the
    classes it holds). A model that keeps no class names (`named=False`: `model_names` are
    "0".."n-1") matches a dataset of as many classes in order, and says so.

    Raises:
        ValueError: a dataset class the model does not have, or a class count that differs from a
            model without names; one line naming both sides and `class_map`.
    """
    model_names, data_names = [str(n) for n in model_names], [str(n) for n in data_names]
    class_map = dict(class_map or {})
    unknown = [old for old in class_map if old not in data_names]
    if unknown:
        raise ValueError(f"`class_map` renames {_names(unknown)}, which {dataset} has no class of (its classes: "
                         f"{_names(data_names)}). Received: class_map={_pairs(class_map)}")
    wrong = [new for new in class_map.values() if new not in model_names]
    if wrong:
        raise ValueError(f"`class_map` maps to {_names(wrong)}, which the model has no class of (its classes: "
                         f"{_names(model_names)}). Received: class_map={_pairs(class_map)}")
    if not named and not class_map:  # numbers stand in for the names: only the order can match
        if len(data_names) != len(model_names):
            raise ValueError(f"{dataset} has {len(data_names)} classes ({_names(data_names)}) and the model "
                             f"{len(model_names)}, without class names: map them with `class_map` OLD=NEW,... "
                             f"(NEW: 0..{len(model_names) - 1}) or evaluate the run folder, whose labels.json names them")
        to_model = tuple(range(len(data_names)))
        note = None if data_names == model_names else (
            f"classes: the model keeps no class names; {dataset}'s {len(data_names)} classes are taken in order "
            f"({_names([f'{n} = {k}' for k, n in enumerate(data_names)])}); `class_map` sets them")
        return ClassMatch(to_model, to_model, note)
    mapped = [class_map.get(n, n) for n in data_names]
    extra = [old for old, new in zip(data_names, mapped) if new not in model_names]
    if extra:
        sizes = (f"{dataset} has {len(data_names)} classes ({_names(data_names)}) and the model {len(model_names)} "
                 f"({_names(model_names)})")
        hint = (f"if they are the same classes renamed, map them with `class_map` "
                f"({_pairs(dict(zip(extra, [n for n in model_names if n not in mapped])))})"
                if len(data_names) == len(model_names) else
                f"evaluate on data of the model's classes, or map them with `class_map` OLD=NEW,...")
        which = ("none of them is a class of the model" if len(extra) == len(data_names) else
                 f"{_names(extra)} {'is' if len(extra) == 1 else 'are'} not a class of the model")
        raise ValueError(f"{sizes}: {which}; {hint}")
    to_model = tuple(model_names.index(n) for n in mapped)
    classes = tuple(sorted(set(to_model)))
    parts = []
    renamed = {old: new for old, new in class_map.items() if old != new}
    if renamed:
        parts.append(f"renamed {_pairs(renamed, arrow=' → ', sep=', ')}")
    missing = [n for k, n in enumerate(model_names) if k not in classes]
    if missing:
        parts.append(f"{len(classes)} of the model's {len(model_names)} classes in {dataset} "
                     f"(missing: {_names(missing)}): scored on those {len(classes)}")
    if not renamed and not missing and list(to_model) != list(range(len(model_names))):
        parts.append(f"{dataset}'s classes are in another order than the model's: matched by name")
    return ClassMatch(to_model, classes, "classes: " + "; ".join(parts) if parts else None)


def _names(names):
    names = list(names)
    shown = ", ".join(map(str, names[:LISTED]))
    return shown + (f", ... ({len(names)} in all)" if len(names) > LISTED else "")


def _pairs(mapping, arrow="=", sep=","):
    items = list(mapping.items())
    shown = sep.join(f"{a}{arrow}{b}" for a, b in items[:LISTED])
    return shown + (f"{sep}... ({len(items)} in all)" if len(items) > LISTED else "")
