"""zoo.grading.differential on its own: the shrunk failing example is the one feedback line, a
passing function passes, an answer that changes for the same input is said to."""

import itertools

import numpy as np
import pytest
from hypothesis import strategies as st

from zoo.grading.canonical import describe_layer, layer_sequence
from zoo.grading.differential import difference, differential, matrices, same


def relu_with_zero_floor(fn, x):
    return np.maximum(x, 0.0)  # wrong for negative entries: the identity is wanted


def test_the_shrunk_example_is_one_line_with_expected_and_got():
    with pytest.raises(pytest.fail.Exception) as e:
        differential(matrices(1, 4), lambda x: same(relu_with_zero_floor, "identity", (x,), want=x), max_examples=30)
    msg = e.value.msg
    assert "\n" not in msg and msg.startswith("identity([[")
    assert "first difference at index (0, 0): expected -1, got 0" in msg, msg  # shrunk to the smallest negative entry


def test_a_right_function_passes():
    differential(matrices(1, 4), lambda x: same(lambda fn, x: x.copy(), "identity", (x,), want=x), max_examples=20)


def test_an_answer_that_changes_is_reported():
    counter = itertools.count()
    with pytest.raises(pytest.fail.Exception) as e:
        differential(st.integers(0, 10), lambda n: same(lambda fn, n: n + (next(counter) % 7 == 3), "f", (n,), want=n), max_examples=30)
    assert "\n" not in e.value.msg and "f(" in e.value.msg


def test_difference_of_shapes_tuples_and_numbers():
    assert difference(np.zeros((2, 3)), np.zeros((3, 2))).startswith("expected shape (3, 2), got shape (2, 3)")
    assert difference((1.0, np.ones(2)), (1.0, np.array([1.0, 2.0]))).startswith("value 1 of the result: first difference at index (1,): expected 2, got 1")
    assert difference(0.5, 0.5 + 1e-9) is None and difference("x", 1.0) == "expected 1, got 'x'"
    assert difference(np.array([0, 1]), np.array([0, 1])) is None


def test_activation_layers_fold_into_the_layer_before():
    rows = [{"class": "InputLayer"}, {"class": "Dense", "units": 4, "activation": "linear"}, {"class": "Dropout", "rate": 0.5},
            {"class": "ReLU"}, {"class": "Dense", "units": 2, "activation": "linear"}, {"class": "Activation", "activation": "softmax"},
            {"class": "Softmax"}]
    got = [describe_layer(r) for r in layer_sequence({"layers": rows})]
    assert got == ["Dense(4, relu)", "Dropout(0.5)", "Dense(2, softmax)", "Activation(softmax)"]  # a second softmax stays visible
