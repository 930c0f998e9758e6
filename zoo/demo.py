"""`zoo demo`: LeNet-5 on scikit-learn's embedded handwritten digits, end to end, offline.

`zoo train lenet5 --dataset digits --augment` with the model's registered recipe: fixed seed,
stratified 80/20 split (1,293 train / 144 val / 360 test), light augmentation (small rotations,
shifts, zoom), Adam with cosine decay. Writes the run folder of `zoo.training.runs` (model.keras,
metrics.json, history.csv, learning_curves.png, confusion_matrix.png, misclassified.png, ...).
"""

from __future__ import annotations

from zoo.training.train import train


def run_demo(out="runs/demo", *, epochs=None, batch_size=None, seed=0, verbose=None):
    """`zoo train lenet5 --dataset digits --augment` with LeNet-5's registered recipe (60 epochs,
    batch 32, adam 2e-3, cosine), as a run folder of kind "demo"; returns the metrics dict.

    Rerunning resumes or extends it like `zoo train` (`zoo.training.runs`)."""
    metrics = train("lenet5", "digits", out, epochs=epochs, batch_size=batch_size, augment=True, seed=seed,
                    verbose=verbose, kind="demo", deterministic=True)
    if metrics.get("status") == "finished":
        accuracy, n = metrics["test"]["accuracy"], metrics["images"]["test"]
        wrong = round((1 - accuracy) * n)
        print(f"test accuracy: {accuracy:.2%} ({wrong} of {n} wrong) in {metrics['timings']['wall_seconds']:.0f} s; "
              f"report: zoo report {out}", flush=True)
    return metrics
