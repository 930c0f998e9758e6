"""Graded structure of exercise 8's blocks over several argument sets, compared with what the
docstring fixes: the layers along each path in order (a conv's own ReLU and a ReLU layer after
it are the same), where the stride is, what the Add adds and the ReLU after it. Layer names,
Activation vs ReLU layers and the order of the Add's inputs are free."""

import pytest

from zoo.grading.checks import expect, expect_equal, fail, layers_of, output_rows, path_back

MODULE = "ex08_vgg_resnet_blocks"


def _tokens(rows):
    """Each row as the docstring names it: 'Conv3x3/s2/same', 'BN', 'ReLU', 'MaxPool2/s2', 'Add'."""
    out = []
    for r in rows:
        cls = r["class"]
        if cls == "Conv2D":
            k, s = r.get("kernel_size") or [0, 0], r.get("strides") or [1, 1]
            pad = "/same" if r.get("padding") == "same" and k != [1, 1] else ""
            out.append(f"Conv{k[0]}x{k[1]}/s{s[0]}" + (f"/s{s[1]}" if s[1] != s[0] else "") + pad)
            if r.get("activation") not in (None, "linear"):
                out.append("ReLU" if r["activation"] == "relu" else r["activation"])
        elif cls == "ReLU" or (cls == "Activation" and r.get("activation") == "relu"):
            out.append("ReLU" if not r.get("negative_slope") else "LeakyReLU")
        elif cls == "Activation" and r.get("activation") in (None, "linear"):
            continue
        elif cls == "BatchNormalization":
            out.append("BN")
        elif cls in ("MaxPooling2D", "AveragePooling2D"):
            p, s = r.get("pool_size") or [0, 0], r.get("strides") or r.get("pool_size") or [0, 0]
            out.append(f"{cls[:-2]}{p[0]}/s{s[0]}" + ("/same" if r.get("padding") == "same" else ""))
        else:
            out.append(cls)
    return out


def _only_output(s, what):
    outs = output_rows(s)
    if len(outs) != 1:
        fail(f"{what}: expected one output, got the outputs of {[o['name'] for o in outs]}")
    return outs[0]


@pytest.mark.points(2)
@pytest.mark.hidden
def test_vgg_block_any_arguments(ex):
    """vgg_block on 6x10x3 (4 filters, 1 conv), 9x4x2 (5 filters, 3 convs), 8x8x6 (6 filters, 2 convs): convs with ReLU, then 2x2 max pooling"""
    for (h, w, c), f, convs in (((6, 10, 3), 4, 1), ((9, 4, 2), 5, 3), ((8, 8, 6), 6, 2)):
        what = f"vgg_block(x of shape ({h}, {w}, {c}), {f}, convs={convs})"
        s = ex("vgg_block", f, convs=convs, probe="block", probe_kwargs={"input_shape": (h, w, c)})
        out = _only_output(s, what)
        chain, start = path_back(s, out["name"])
        expect_equal(_tokens(chain), ["Conv3x3/s1/same", "ReLU"] * convs + ["MaxPooling2/s2"], f"{what}: the layers from the input to the output")
        expect_equal(s["output_shape"], [None, h // 2, w // 2, f], f"{what}: output shape")
        expect_equal([l["filters"] for l in layers_of(s, "Conv2D")], [f] * convs, f"{what}: filters of the convs")


def _residual_paths(s, what):
    out = _only_output(s, what)
    chain, merge = path_back(s, out["name"])
    rows = {r["name"]: r for r in s["layers"]}
    if merge is None or rows[merge]["class"] != "Add":
        fail(f"{what}: the output should be ReLU(main + shortcut) of one Add layer; from the output back the layers are {_tokens(chain)}")
    inputs = [path_back(s, n) for n in rows[merge].get("inbound", [])]
    return _tokens(chain), sorted((_tokens(c), start) for c, start in inputs)


@pytest.mark.points(3)
@pytest.mark.hidden
def test_residual_block_paths_any_arguments(ex):
    """residual_block for (c_in, filters, stride) = (8, 8, 1), (4, 12, 1), (6, 6, 2), (3, 10, 2) on 7x7 inputs: main path, shortcut, Add, ReLU"""
    for c_in, f, stride in ((8, 8, 1), (4, 12, 1), (6, 6, 2), (3, 10, 2)):
        what = f"residual_block(x of shape (7, 7, {c_in}), {f}, stride={stride})"
        s = ex("residual_block", f, stride=stride, probe="block", probe_kwargs={"input_shape": (7, 7, c_in)})
        after, (a, b) = _residual_paths(s, what)
        expect_equal(after, ["ReLU"], f"{what}: the layers after the Add")
        main = ["Conv3x3/s%d/same" % stride, "BN", "ReLU", "Conv3x3/s1/same", "BN"]
        short = ["Conv1x1/s%d" % stride, "BN"] if stride != 1 or c_in != f else []
        paths = sorted([a, b], key=lambda p: len(p[0]), reverse=True)
        expect_equal(paths[0][0], main, f"{what}: the main path (from the block's input to the Add)")
        expect_equal(paths[1][0], short, f"{what}: the shortcut (from the block's input to the Add)" + ("" if short else ": the identity"))
        inp = [r["name"] for r in s["layers"] if r["class"] == "InputLayer"]
        expect(paths[0][1] in inp and paths[1][1] in inp, f"{what}: both the main path and the shortcut must start at the block's input")
        expect_equal(s["output_shape"], [None, -(-7 // stride), -(-7 // stride), f], f"{what}: output shape")
