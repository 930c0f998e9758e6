"""MultiBox loss (hard negatives 3:1, no-object images) and batched per-class NMS vs NumPy."""

import numpy as np
import pytest
import keras
from keras import ops

from zoo.detection import losses, nms
from zoo.detection.metrics import pairwise_iou

pytestmark = pytest.mark.portable


def _grads(fn, *args):
    """Gradients of scalar fn(*args) w.r.t. every arg, on the active backend."""
    if keras.backend.backend() == "jax":
        import jax

        return [np.asarray(g) for g in jax.grad(fn, argnums=tuple(range(len(args))))(*args)]
    import tensorflow as tf

    vs = [tf.Variable(a) for a in args]
    with tf.GradientTape() as tape:
        out = fn(*vs)
    return [g.numpy() for g in tape.gradient(out, vs)]


def _softmax_ce(logits, t):
    z = logits - logits.max(-1, keepdims=True)
    logp = z - np.log(np.exp(z).sum(-1, keepdims=True))
    return -np.take_along_axis(logp, t[..., None], -1)[..., 0]


def test_loss_matches_a_numpy_reference_with_3_to_1_hard_negatives():
    rng = np.random.default_rng(0)
    B, A, C = 2, 30, 4
    cls_true = np.zeros((B, A), "int32")
    cls_true[0, [3, 7]] = [1, 3]  # 2 positives -> 6 negatives mined in image 0
    cls_true[1, 5] = 2  # 1 positive -> 3 negatives in image 1
    box_true = rng.normal(size=(B, A, 4)).astype("float32") * (cls_true > 0)[..., None]
    cls_pred = rng.normal(size=(B, A, C)).astype("float32") * 2
    box_pred = rng.normal(size=(B, A, 4)).astype("float32")
    got = float(losses.multibox_loss(cls_true, box_true, cls_pred, box_pred))
    ce = _softmax_ce(cls_pred, cls_true)
    total = 0.0
    for b in range(B):
        pos = cls_true[b] > 0
        neg = np.sort(ce[b][~pos])[::-1][: 3 * pos.sum()]
        total += ce[b][pos].sum() + neg.sum()
        d = np.abs(box_pred[b][pos] - box_true[b][pos])
        total += np.where(d < 1, 0.5 * d * d, d - 0.5).sum()
    np.testing.assert_allclose(got, total / 3, rtol=1e-5)


def test_no_objects_gives_finite_loss_and_gradients():
    B, A, C = 2, 20, 3
    cls_true = np.zeros((B, A), "int32")
    box_true = np.zeros((B, A, 4), "float32")
    cls_pred = np.random.default_rng(0).normal(size=(B, A, C)).astype("float32")
    box_pred = np.ones((B, A, 4), "float32")

    def f(cp, bp):
        return losses.multibox_loss(cls_true, box_true, cp, bp)

    assert np.isfinite(float(f(cls_pred, box_pred)))
    for g in _grads(f, cls_pred, box_pred):
        assert np.isfinite(g).all()
    # one image with an object, one without: finite, and the empty image gets no gradient
    cls_true[0, 4] = 1

    def g(cp, bp):
        return losses.multibox_loss(cls_true, box_true, cp, bp)

    gc, gb = _grads(g, cls_pred, box_pred)
    assert np.isfinite(gc).all() and np.abs(gc[0]).sum() > 0 and np.abs(gc[1]).sum() == 0


def test_loss_objects_serialise():
    for obj in (losses.ClassLoss(neg_pos_ratio=2.0), losses.BoxLoss()):
        clone = type(obj).from_config(obj.get_config())
        assert clone.get_config() == obj.get_config()


def _reference_nms(boxes, scores, *, iou_threshold, score_threshold, max_detections):
    """Brute force per image and class, then the best `max_detections` over classes."""
    out = []
    for b in range(len(boxes)):
        found = []
        for c in range(scores.shape[-1]):
            idx = [i for i in np.argsort(-scores[b, :, c]) if scores[b, i, c] > score_threshold]
            kept = []
            for i in idx:
                if all(pairwise_iou(boxes[b, [i]], boxes[b, [j]])[0, 0] <= iou_threshold for j in kept):
                    kept.append(i)
            found += [(scores[b, i, c], c, i) for i in kept]
        found.sort(key=lambda t: -t[0])
        out.append(found[:max_detections])
    return out


def _random_case(seed, B=2, N=60, C=3):
    rng = np.random.default_rng(seed)
    centre = rng.uniform(0, 1, (B, N, 2))
    size = rng.uniform(0.05, 0.4, (B, N, 2))
    boxes = np.concatenate([centre - size / 2, centre + size / 2], -1).astype("float32")
    scores = rng.uniform(0, 1, (B, N, C)).astype("float32")
    return boxes, scores


@pytest.mark.parametrize("seed", [0, 1])
def test_nms_agrees_with_brute_force(seed):
    boxes, scores = _random_case(seed)
    kw = dict(iou_threshold=0.4, score_threshold=0.3, max_detections=25)
    got = nms.nms(boxes, scores, pre_nms_top_k=10_000, **kw)
    got = {k: ops.convert_to_numpy(v) for k, v in got.items()}
    ref = _reference_nms(boxes, scores, **kw)
    for b, r in enumerate(ref):
        n = int(got["num_valid"][b])
        assert n == len(r) and n > 5
        np.testing.assert_allclose(got["scores"][b, :n], [t[0] for t in r], rtol=1e-6)
        np.testing.assert_array_equal(got["classes"][b, :n], [t[1] for t in r])
        np.testing.assert_array_equal(got["indices"][b, :n], [t[2] for t in r])
        np.testing.assert_allclose(got["boxes"][b, :n], boxes[b, [t[2] for t in r]], atol=1e-6)
        assert (got["classes"][b, n:] == -1).all() and (got["scores"][b, n:] == 0).all()
    assert got["boxes"].shape == (2, 25, 4)


def test_nms_compiles_on_the_backend():
    boxes, scores = _random_case(3, B=2, N=40, C=2)
    eager = ops.convert_to_numpy(nms.nms(boxes, scores, max_detections=10, iou_threshold=0.5)["indices"])
    if keras.backend.backend() == "jax":
        import jax

        fn = jax.jit(lambda b, s: nms.nms(b, s, max_detections=10, iou_threshold=0.5))
    else:
        import tensorflow as tf

        fn = tf.function(lambda b, s: nms.nms(b, s, max_detections=10, iou_threshold=0.5), jit_compile=False)
    compiled = ops.convert_to_numpy(fn(boxes, scores)["indices"])
    np.testing.assert_array_equal(compiled, eager)


def test_nms_pads_when_fewer_candidates_than_detections_and_checks_args():
    boxes, scores = _random_case(4, B=1, N=3, C=2)
    got = nms.nms(boxes, scores, max_detections=10, score_threshold=0.0)
    assert tuple(got["boxes"].shape) == (1, 10, 4)
    assert int(ops.convert_to_numpy(got["num_valid"])[0]) <= 6
    with pytest.raises(ValueError, match="max_detections=0"):
        nms.nms(boxes, scores, max_detections=0)


def test_nms_agrees_with_torchvision_batched_nms():
    torch = pytest.importorskip("torch")
    tv_ops = pytest.importorskip("torchvision.ops")
    boxes, scores = _random_case(5, B=1, N=80, C=4)
    b = np.repeat(boxes[0], 4, 0)
    s = scores[0].reshape(-1)
    c = np.tile(np.arange(4), 80)
    keep = tv_ops.batched_nms(torch.tensor(b), torch.tensor(s), torch.tensor(c), 0.5).numpy()
    keep = keep[s[keep] > 0.01][:100]
    got = nms.nms(boxes, scores, iou_threshold=0.5, score_threshold=0.01, max_detections=100, pre_nms_top_k=10_000)
    n = int(ops.convert_to_numpy(got["num_valid"])[0])
    np.testing.assert_array_equal(ops.convert_to_numpy(got["indices"])[0, :n], keep // 4)
    np.testing.assert_array_equal(ops.convert_to_numpy(got["classes"])[0, :n], keep % 4)
