"""Graded behaviour of exercise 9 over every `n` the grader's backbone allows (conv1, bn1,
conv2, bn2: BatchNorm counts among the n layers with weights and stays frozen), and the head
and loss the docstring fixes, whatever the layers are named."""

import pytest

from zoo.grading.checks import expect, expect_equal, output_layer, path_back

MODULE = "ex09_transfer"
BACKBONE = {"__backbone__": {"input_shape": (16, 16, 3)}}
HEAD = 16 * 5 + 5
CONV1, CONV2 = 3 * 3 * 3 * 8 + 8, 3 * 3 * 8 * 16 + 16
# n -> (trainable weights, the backbone's convs that train): the last n of conv1, bn1, conv2, bn2
EXPECTED = {1: (HEAD, []), 3: (HEAD + CONV2, ["conv2"]), 4: (HEAD + CONV1 + CONV2, ["conv1", "conv2"])}


@pytest.mark.points(2)
@pytest.mark.hidden
def test_fine_tune_any_n(ex):
    """n=1 (bn2: nothing unfreezes, 85 trainable weights), n=3 (bn1, conv2, bn2: conv2), n=4 (all: conv1 and conv2)"""
    for n, (trainable, convs) in EXPECTED.items():
        s = ex("fine_tune_model", BACKBONE, 5, n, probe="model")
        what = f"fine_tune_model(backbone, 5, n={n})"
        trains = sorted(l["name"].split("/")[-1] for l in s["layers"] if l["class"] == "Conv2D" and l["trainable"] and l["trainable_params"])
        expect_equal(trains, convs, f"{what}: the backbone's convs that train (the last {n} of conv1, bn1, conv2, bn2, BatchNorm counted)")
        bn = [l["name"] for l in s["layers"] if l["class"] == "BatchNormalization" and l["trainable_params"]]
        expect(not bn, f"{what}: BatchNorm layers must stay frozen, trainable: {bn}")
        expect_equal(s["trainable_params"], trainable, f"{what}: trainable parameters (head + unfrozen convs)")


@pytest.mark.points(2)
@pytest.mark.hidden
def test_head_and_loss(ex):
    """the head is GlobalAveragePooling2D -> Dropout(0.2) -> Dense(classes, softmax); both compiles use sparse categorical cross-entropy"""
    for classes in (3, 7):
        s = ex("build_transfer_model", BACKBONE, classes, probe="model")
        what = f"build_transfer_model(backbone, {classes})"
        out = output_layer(s)
        expect_equal((out.get("units"), out["effective_activation"]), (classes, "softmax"), f"{what}: units and activation of the output layer {out['name']!r}")
        chain, _ = path_back(s, out["name"])
        head = [(l["class"], l.get("rate")) for l in chain if l["class"] in ("GlobalAveragePooling2D", "GlobalMaxPooling2D", "Flatten", "Dropout", "Dense")]
        expect_equal(head, [("GlobalAveragePooling2D", None), ("Dropout", 0.2), ("Dense", None)], f"{what}: the head's layers from the backbone to the output")
        expect_equal(s["loss"], "sparse_categorical_crossentropy", f"{what}: the loss (the labels are integers)")
    tuned = ex("fine_tune_model", BACKBONE, 3, 2, probe="model")
    expect_equal(tuned["loss"], "sparse_categorical_crossentropy", "fine_tune_model(backbone, 3, n=2): the loss after recompiling")
