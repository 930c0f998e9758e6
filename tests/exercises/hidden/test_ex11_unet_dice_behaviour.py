"""Graded structure of exercise 11's U-Net over several argument sets, compared with what the
docstring fixes: the widths of every conv (base, 2 base, 4 base), two Conv2DTranspose
upsamplings, each skip concatenating the upsampled map with the encoder block of its level,
the 1x1 softmax head and the parameter count. Layer names, the order of a Concatenate's inputs
and separate activation layers are free."""

import pytest

from zoo.grading.checks import expect, expect_equal, layers_of, output_rows, weighted_layers

MODULE = "ex11_unet_dice"


def _cb(c, f):
    return (9 * c + 1) * f + (9 * f + 1) * f


def _params(c, classes, b):
    up = lambda cin, f: 4 * cin * f + f  # noqa: E731 - Conv2DTranspose(f, 2)
    return (_cb(c, b) + _cb(b, 2 * b) + _cb(2 * b, 4 * b) + up(4 * b, 2 * b) + _cb(4 * b, 2 * b)
            + up(2 * b, b) + _cb(2 * b, b) + (b + 1) * classes)


def _sources(s, names):
    """The layers behind `names`, an activation layer standing for the conv it follows."""
    rows = {r["name"]: r for r in s["layers"]}
    out = []
    for n in names:
        while rows[n]["class"] in ("Activation", "ReLU") and len(rows[n].get("inbound", [])) == 1:
            n = rows[n]["inbound"][0]
        out.append(n)
    return sorted(out)


@pytest.mark.points(3)
@pytest.mark.hidden
def test_tiny_unet_any_arguments(ex):
    """tiny_unet((16,16,1), 3, base=4), ((8,12,3), 2, base=3), ((8,8,2), 5, base=2): widths, upsamplings, skips, head, parameters"""
    for shape, classes, b in (((16, 16, 1), 3, 4), ((8, 12, 3), 2, 3), ((8, 8, 2), 5, 2)):
        what = f"tiny_unet({shape}, classes={classes}, base={b})"
        s = ex("tiny_unet", shape, classes, base=b, probe="model")
        convs = [l for l in weighted_layers(s, "Conv2D") if l.get("kernel_size") == [3, 3]]
        expect_equal([l["filters"] for l in convs], [b, b, 2 * b, 2 * b, 4 * b, 4 * b, 2 * b, 2 * b, b, b],
                     f"{what}: filters of the 3x3 convs, encoder to decoder")
        expect(all(l["effective_activation"] == "relu" and l.get("padding") == "same" for l in convs),
               f"{what}: every 3x3 conv should be padding='same' with a ReLU, got {[(l['padding'], l['effective_activation']) for l in convs]}")
        ups = layers_of(s, "Conv2DTranspose")
        expect_equal([(l.get("filters"), l.get("kernel_size"), l.get("strides")) for l in ups], [(2 * b, [2, 2], [2, 2]), (b, [2, 2], [2, 2])],
                     f"{what}: the upsamplings (Conv2DTranspose(f, 2, strides=2) with f = 2 base, then base)")
        cats = layers_of(s, "Concatenate")
        expect_equal(len(cats), 2, f"{what}: number of skip concatenations")
        # each skip: the upsampled map and the encoder block of the same level (its second conv)
        for cat, up, enc in ((cats[0], ups[0], convs[3]), (cats[1], ups[1], convs[1])):
            expect_equal(_sources(s, cat.get("inbound", [])), sorted([up["name"], enc["name"]]),
                         f"{what}: the inputs of {cat['name']!r} (the upsampled map {up['name']!r} and the encoder block's output {enc['name']!r})")
        outs = output_rows(s)
        head = [l for l in weighted_layers(s, "Conv2D") if l.get("kernel_size") == [1, 1]]
        expect(len(outs) == 1 and len(head) == 1 and head[0]["filters"] == classes and head[0]["effective_activation"] == "softmax",
               f"{what}: the head should be one Conv2D({classes}, 1) with a softmax, got {[(l['filters'], l['effective_activation']) for l in head]}")
        expect_equal(s["output_shape"], [None, shape[0], shape[1], classes], f"{what}: output shape")
        expect_equal(s["params"], _params(shape[2], classes, b), f"{what}: parameters")
