"""Conv2D, MaxPool2D, AvgPool2D, Flatten: gradients, examples, errors, models."""

from __future__ import annotations

import numpy as np
import pytest

import glassnet as gn
from glassnet.gradcheck import numerical_gradient, relative_error

TOL = 1e-6


def layer_loss(layer: gn.Layer, X: np.ndarray, G: np.ndarray) -> float:
    """L = Σ G ⊙ layer(X): its gradient wrt the layer's output is exactly G."""
    return float(np.sum(G * layer.forward(X)))


def check_layer(layer: gn.Layer, X: np.ndarray, rng: np.random.Generator) -> None:
    """Backward with a random upstream G against central differences, X and params."""
    Y = layer.forward(X)
    G = rng.normal(size=Y.shape)
    dX = layer.backward(G)
    analytic = {k: g.copy() for k, g in layer.grads.items()}
    assert dX.shape == X.shape
    numeric = numerical_gradient(lambda x: layer_loss(layer, x, G), X)
    assert relative_error(dX, numeric) < TOL, "dX"
    for key, W in layer.params.items():
        assert analytic[key].shape == W.shape
        numeric = numerical_gradient(lambda _: layer_loss(layer, X, G), W)
        assert relative_error(analytic[key], numeric) < TOL, key


def separated(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """Distinct values 0.01 apart: a ±1e-4 step never changes a window's max."""
    return rng.permutation(int(np.prod(shape))).reshape(shape) * 0.01 - 1.0


# (m, c_in, c_out, H, W, kernel, stride, padding): the edge cases of the brief
CONV_CASES = [
    (2, 3, 4, 6, 5, 3, 1, 0),  # plain, a non-square image
    (2, 2, 3, 7, 7, 3, 2, 1),  # stride > 1 with padding (windows overlap)
    (3, 1, 2, 5, 5, 5, 1, 0),  # kernel = the whole image: one output pixel
    (1, 1, 1, 4, 4, 2, 1, 0),  # one sample, one channel in and out
    (2, 2, 2, 6, 6, 2, 3, 0),  # stride > kernel: pixels in no window get 0
    (1, 2, 3, 5, 6, (2, 3), (2, 1), (1, 2)),  # pairs: (kh, kw), (sh, sw), (ph, pw)
]


# ---- central differences with a random upstream gradient, float64 ----
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("case", CONV_CASES)
def test_conv2d_backward_matches_central_differences(case, bias):
    m, c_in, c_out, H, W, k, s, p = case
    rng = np.random.default_rng(hash(case) % 2**32)
    conv = gn.Conv2D(
        c_in, c_out, k, stride=s, padding=p, bias=bias, rng=rng, dtype=np.float64
    )
    if bias:
        conv.b[...] = rng.normal(size=c_out)
    check_layer(conv, rng.normal(size=(m, c_in, H, W)), rng)


def naive_conv(X: np.ndarray, W: np.ndarray, b: np.ndarray, s: int, p: int):
    """Z[n, o, y, x] = b[o] + Σ_{c,i,j} W[o, c, i, j] · Xp[n, c, y·s + i, x·s + j]."""
    Xp = np.pad(X, ((0, 0), (0, 0), (p, p), (p, p)))
    _, _, kh, kw = W.shape
    OH, OW = (Xp.shape[2] - kh) // s + 1, (Xp.shape[3] - kw) // s + 1
    Z = np.zeros((X.shape[0], W.shape[0], OH, OW)) + b[:, None, None]
    for i in range(kh):
        for j in range(kw):
            window = Xp[
                :, :, i : i + s * (OH - 1) + 1 : s, j : j + s * (OW - 1) + 1 : s
            ]
            Z += np.einsum("oc,ncyx->noyx", W[:, :, i, j], window)
    return Z


@pytest.mark.parametrize(
    ("c_in", "size", "layout"),
    [
        (
            1,
            28,
            (0, 1, 2, 3),
        ),  # conv 1 of the benchmark: runs of OW = 28, channels first
        (16, 14, (0, 2, 3, 1)),  # conv 2: runs of kw·c_in = 80, channels last
    ],
)
def test_im2col_takes_the_layout_with_longer_runs_and_both_compute_the_same(
    c_in, size, layout
):
    rng = np.random.default_rng(c_in)
    conv = gn.Conv2D(c_in, 3, 5, padding=2, rng=rng, dtype=np.float64)
    conv.b[...] = rng.normal(size=3)
    X = rng.normal(size=(2, c_in, size, size))
    Z = conv.forward(X, training=True)
    assert conv._kernel_axes == layout
    np.testing.assert_allclose(Z, naive_conv(X, conv.W, conv.b, 1, 2), rtol=1e-12)
    # with dZ = 1, dW[o, c, i, j] = Σ_{n,y,x} Xp[n, c, y + i, x + j]
    conv.backward(np.ones_like(Z))
    Xp = np.pad(X, ((0, 0), (0, 0), (2, 2), (2, 2)))
    dW = [[[Xp[:, c, i : i + size, j : j + size].sum() for j in range(5)]
           for i in range(5)] for c in range(c_in)]  # fmt: skip
    np.testing.assert_allclose(conv.grads["W"], np.array([dW] * 3), rtol=1e-12)


def test_the_conv_cases_meet_both_im2col_layouts():
    layouts = set()
    for m, c_in, c_out, H, W, k, s, p in CONV_CASES:
        conv = gn.Conv2D(c_in, c_out, k, stride=s, padding=p, rng=0, dtype=np.float64)
        conv.forward(np.zeros((m, c_in, H, W)))
        layouts.add(conv._kernel_axes)
    assert layouts == {(0, 1, 2, 3), (0, 2, 3, 1)}


POOL_CASES = [
    (2, 3, 4, 4, 2, None),  # windows side by side
    (2, 2, 7, 7, 3, 2),  # overlapping windows: a pixel in two windows adds both
    (1, 1, 5, 5, 5, None),  # kernel = the whole image, one sample, one channel
    (2, 1, 5, 7, 2, None),  # odd sizes: the last row/column is in no window
    (1, 2, 6, 5, (2, 3), (1, 2)),
    (2, 2, 7, 8, 2, 3),  # stride > kernel: pixels between windows get 0
]


@pytest.mark.parametrize("kind", ["MaxPool2D", "AvgPool2D"])
@pytest.mark.parametrize("case", POOL_CASES)
def test_pooling_backward_matches_central_differences(kind, case):
    m, C, H, W, k, s = case
    rng = np.random.default_rng(7)
    layer = getattr(gn, kind)(k, s)
    check_layer(layer, separated(rng, (m, C, H, W)), rng)


def test_flatten_backward_matches_central_differences():
    rng = np.random.default_rng(3)
    check_layer(gn.Flatten(), rng.normal(size=(2, 3, 2, 4)), rng)


def test_a_col2im_that_assigned_instead_of_adding_fails_the_check():
    # overlapping windows: pixel (1, 1) of a 3×3 image is in all four 2×2 windows
    rng = np.random.default_rng(0)
    conv = gn.Conv2D(1, 1, 2, bias=False, rng=0, dtype=np.float64)
    X = rng.normal(size=(1, 1, 3, 3))
    G = rng.normal(size=(1, 1, 2, 2))
    conv.forward(X)
    dX = conv.backward(G)
    numeric = numerical_gradient(lambda x: layer_loss(conv, x, G), X)
    wrong = np.zeros_like(X)  # the last window to touch a pixel wins
    for y in range(2):
        for x in range(2):
            wrong[0, 0, y : y + 2, x : x + 2] = G[0, 0, y, x] * conv.W[0, 0]
    assert relative_error(dX, numeric) < TOL
    assert relative_error(wrong, numeric) > 0.1


# ---- worked examples ----
def test_conv2d_worked_example_by_hand():
    # X = [[1, 2, 0], [0, 1, 3], [2, 0, 1]], W = [[1, 0], [0, −1]], b = 0.5:
    # Z[y, x] = X[y, x] − X[y+1, x+1] + 0.5
    #   (0, 0): 1 − 1 + .5 = .5   (0, 1): 2 − 3 + .5 = −.5
    #   (1, 0): 0 − 0 + .5 = .5   (1, 1): 1 − 1 + .5 = .5
    conv = gn.Conv2D(1, 1, 2, init=[[[[1.0, 0.0], [0.0, -1.0]]]], dtype=np.float64)
    conv.b[...] = 0.5
    X = np.array([[[[1.0, 2.0, 0.0], [0.0, 1.0, 3.0], [2.0, 0.0, 1.0]]]])
    np.testing.assert_array_equal(conv.forward(X), [[[[0.5, -0.5], [0.5, 0.5]]]])
    # dY = ones: dW[i, j] = Σ of the 2×2 block of X at offset (i, j); db = 4
    conv.backward(np.ones((1, 1, 2, 2)))
    np.testing.assert_array_equal(conv.grads["W"][0, 0], [[4.0, 6.0], [3.0, 5.0]])
    assert conv.grads["b"][0] == 4.0


def test_maxpool_routes_the_gradient_to_the_first_maximum_of_a_tie():
    X = np.array([[[[1.0, 3.0], [3.0, 2.0]]]])  # a tie between (0, 1) and (1, 0)
    pool = gn.MaxPool2D(2)
    assert pool.forward(X)[0, 0, 0, 0] == 3.0
    dX = pool.backward(np.array([[[[5.0]]]]))
    np.testing.assert_array_equal(dX[0, 0], [[0.0, 5.0], [0.0, 0.0]])  # PyTorch's


def test_overlapping_avgpool_adds_shares_where_windows_overlap():
    # 3×3 image, 2×2 windows, stride 1: the centre is in all 4 windows, a corner in 1
    pool = gn.AvgPool2D(2, stride=1)
    pool.forward(np.zeros((1, 1, 3, 3)))
    dX = pool.backward(np.ones((1, 1, 2, 2)))
    np.testing.assert_array_equal(
        dX[0, 0], [[0.25, 0.5, 0.25], [0.5, 1.0, 0.5], [0.25, 0.5, 0.25]]
    )


# ---- shapes and errors ----
@pytest.mark.parametrize("case", CONV_CASES)
def test_conv2d_output_shape_is_what_forward_returns(case):
    m, c_in, c_out, H, W, k, s, p = case
    conv = gn.Conv2D(c_in, c_out, k, stride=s, padding=p, rng=0)
    Y = conv.forward(np.zeros((m, c_in, H, W), dtype=np.float32))
    assert Y.shape == (m, *conv.output_shape((c_in, H, W)))
    assert Y.dtype == np.float32


@pytest.mark.parametrize("case", POOL_CASES)
def test_pooling_output_shape_is_what_forward_returns(case):
    m, C, H, W, k, s = case
    for layer in (gn.MaxPool2D(k, s), gn.AvgPool2D(k, s)):
        Y = layer.forward(np.zeros((m, C, H, W)))
        assert Y.shape == (m, *layer.output_shape((C, H, W)))


def test_output_shape_errors_name_layer_expected_given_and_fix():
    conv = gn.Conv2D(3, 8, 5)
    with pytest.raises(
        ValueError, match=r"Conv2D\(3 → 8, 5×5\).*\(3, H, W\).*\(1, 28, 28\)"
    ):
        conv.output_shape((1, 28, 28))
    with pytest.raises(ValueError, match=r"\(\?,\).*input_shape=\(C, H, W\)"):
        conv.output_shape((None,))
    with pytest.raises(ValueError, match=r"at least 5×5 pixels.*got 4×4.*padding"):
        conv.output_shape((3, 4, 4))
    with pytest.raises(ValueError, match=r"MaxPool2D\(2\).*\(C, H, W\).*\(784,\)"):
        gn.MaxPool2D(2).output_shape((784,))


def test_forward_on_flat_images_says_how_to_reshape():
    with pytest.raises(ValueError, match=r"\(m, 1, H, W\).*\(4, 784\).*reshape"):
        gn.Conv2D(1, 2, 3).forward(np.zeros((4, 784), dtype=np.float32))


@pytest.mark.parametrize(
    ("make", "match"),
    [
        (lambda: gn.Conv2D(0, 2, 3), "c_in"),
        (lambda: gn.Conv2D(1, 2, 0), "kernel_size"),
        (lambda: gn.Conv2D(1, 2, 3, stride=0), "stride"),
        (lambda: gn.Conv2D(1, 2, 3, padding=-1), "padding"),
        (lambda: gn.Conv2D(1, 2, (3, 3, 3)), "pair"),
        (lambda: gn.Conv2D(1, 2, 2, init=np.ones((2, 2))), r"\(2, 1, 2, 2\)"),
        (lambda: gn.MaxPool2D(2, stride=0), "stride"),
    ],
)
def test_bad_arguments_are_refused_with_what_was_wrong(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_backward_before_forward_and_a_wrong_dY_are_refused():
    conv = gn.Conv2D(1, 2, 3)
    with pytest.raises(RuntimeError, match="before forward"):
        conv.backward(np.zeros((1, 2, 2, 2)))
    conv.forward(np.zeros((1, 1, 4, 4), dtype=np.float32))
    with pytest.raises(ValueError, match=r"\(1, 2, 2, 2\)"):
        conv.backward(np.zeros((1, 2, 3, 3), dtype=np.float32))


def test_he_init_uses_the_fan_in_of_a_filter():
    conv = gn.Conv2D(16, 64, 5, rng=0, dtype=np.float64)  # fan-in 16·5·5 = 400
    assert conv.W.std() == pytest.approx(np.sqrt(2 / 400), rel=0.02)


# ---- in a model ----
def small_cnn(dtype=np.float32, dropout: float = 0.0) -> gn.Sequential:
    return gn.Sequential(
        [
            gn.Conv2D(1, 3, 3, padding=1, rng=0, dtype=dtype),
            gn.ReLU(),
            gn.MaxPool2D(2),
            gn.Conv2D(3, 4, 3, stride=2, rng=1, dtype=dtype),
            gn.Tanh(),
            gn.AvgPool2D(1),
            gn.Flatten(),
            gn.Dropout(dropout, rng=2),
            gn.Dense(4 * 2 * 2, 3, rng=3, dtype=dtype),
            gn.Softmax(),
        ],
        input_shape=(1, 10, 10),
    )


def test_dense_after_flatten_and_the_shape_chain_of_a_cnn():
    model = small_cnn()
    assert model.shapes == [
        (1, 10, 10),
        (3, 10, 10),
        (3, 10, 10),
        (3, 5, 5),
        (4, 2, 2),
        (4, 2, 2),
        (4, 2, 2),
        (16,),
        (16,),
        (3,),
        (3,),
    ]
    assert model.forward(np.zeros((2, 1, 10, 10))).shape == (2, 3)
    with pytest.raises(ValueError, match=r"layer 8, Dense\(15 → 3\).*\(15,\).*\(16,\)"):
        gn.Sequential(
            [*small_cnn().layers[:8], gn.Dense(15, 3)], input_shape=(1, 10, 10)
        )


def test_summary_shows_channels_rows_and_columns():
    text = small_cnn().summary()
    assert (
        "Conv2D(1 → 3, 3×3, padding 1)  (m, 3, 10, 10)   30  (W (3, 1, 3, 3), b (3,))"
        in text
    )
    assert "MaxPool2D(2)" in text
    assert "(m, 3, 5, 5)" in text
    assert "total parameters: 193" in text  # 30 + 112 + 51


def test_check_gradients_passes_for_a_small_cnn():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(3, 1, 10, 10))
    errors = gn.check_gradients(small_cnn(), gn.CrossEntropy(), X, np.array([0, 2, 1]))
    assert set(errors) == {"0.W", "0.b", "3.W", "3.b", "8.W", "8.b"}
    assert max(errors.values()) < 1e-6


def test_a_small_cnn_learns_a_pattern():
    # class 1: a bright vertical bar somewhere; class 0: a horizontal one
    rng = np.random.default_rng(0)
    X = rng.normal(0, 0.1, size=(200, 1, 10, 10)).astype(np.float32)
    y = rng.integers(0, 2, size=200)
    for n, (label, place) in enumerate(
        zip(y, rng.integers(1, 9, size=200), strict=True)
    ):
        if label:
            X[n, 0, :, place] += 1
        else:
            X[n, 0, place, :] += 1
    model = small_cnn()
    model.layers[-2] = gn.Dense(16, 2, rng=3)
    model = gn.Sequential(model.layers, input_shape=(1, 10, 10))
    model.fit(
        X,
        y,
        loss=gn.CrossEntropy(),
        optimizer=gn.Adam(0.01),
        epochs=15,
        batch_size=20,
        seed=0,
        verbose=0,
    )
    assert model.evaluate(X, y, loss=gn.CrossEntropy())["accuracy"] > 0.95


# ---- PyTorch as an independent reference (skipped without torch) ----
@pytest.fixture
def torch():
    return pytest.importorskip("torch")


@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("case", CONV_CASES)
def test_conv2d_matches_pytorch_forward_and_every_gradient(torch, case, bias):
    m, c_in, c_out, H, W, k, s, p = case
    rng = np.random.default_rng(1)
    conv = gn.Conv2D(
        c_in, c_out, k, stride=s, padding=p, bias=bias, rng=rng, dtype=np.float64
    )
    ref = torch.nn.Conv2d(c_in, c_out, k, stride=s, padding=p, bias=bias).double()
    if bias:
        conv.b[...] = rng.normal(size=c_out)
    with torch.no_grad():  # weights copied: nn.Conv2d.weight is (c_out, c_in, kh, kw)
        ref.weight.copy_(torch.from_numpy(conv.W))
        if bias:
            ref.bias.copy_(torch.from_numpy(conv.b))
    X = rng.normal(size=(m, c_in, H, W))
    Xt = torch.tensor(X, requires_grad=True)
    Yt = ref(Xt)
    Y = conv.forward(X)
    G = rng.normal(size=Y.shape)
    Yt.backward(torch.from_numpy(G))
    dX = conv.backward(G)
    np.testing.assert_allclose(Y, Yt.detach().numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(dX, Xt.grad.numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(
        conv.grads["W"], ref.weight.grad.numpy(), rtol=1e-10, atol=1e-12
    )
    if bias:
        np.testing.assert_allclose(conv.grads["b"], ref.bias.grad.numpy(), rtol=1e-10)


@pytest.mark.parametrize("kind", ["MaxPool2D", "AvgPool2D"])
@pytest.mark.parametrize("case", POOL_CASES)
def test_pooling_matches_pytorch_forward_and_gradient(torch, kind, case):
    m, C, H, W, k, s = case
    rng = np.random.default_rng(2)
    layer = getattr(gn, kind)(k, s)
    ref = getattr(torch.nn, kind.replace("2D", "2d"))(k, s)
    X = rng.normal(size=(m, C, H, W))
    X[0, 0, :2, :2] = 1.5  # a tie: both take the first maximum in the window
    Xt = torch.tensor(X, requires_grad=True)
    Yt = ref(Xt)
    Y = layer.forward(X)
    G = rng.normal(size=Y.shape)
    Yt.backward(torch.from_numpy(G))
    np.testing.assert_allclose(Y, Yt.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(
        layer.backward(G), Xt.grad.numpy(), rtol=1e-12, atol=1e-15
    )


def test_a_whole_cnn_matches_pytorch_loss_and_every_gradient(torch):
    model = small_cnn(np.float64)
    nn = torch.nn
    ref = nn.Sequential(
        nn.Conv2d(1, 3, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(3, 4, 3, stride=2),
        nn.Tanh(),
        nn.AvgPool2d(1),
        nn.Flatten(),
        nn.Dropout(0.0),
        nn.Linear(16, 3),
    ).double()
    with torch.no_grad():
        for name, W, _ in model.parameters():
            i, key = name.split(".")
            getattr(ref[int(i)], {"W": "weight", "b": "bias"}[key]).copy_(
                torch.from_numpy(W)
            )
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(5, 1, 10, 10)), np.array([0, 1, 2, 1, 0])
    L, _ = model.loss_and_gradients(X, y, gn.CrossEntropy())
    Lt = nn.functional.cross_entropy(ref(torch.from_numpy(X)), torch.from_numpy(y))
    Lt.backward()
    assert abs(L - Lt.item()) <= 1e-12 * abs(Lt.item())
    for name, _, dW in model.parameters():
        i, key = name.split(".")
        ref_grad = getattr(ref[int(i)], {"W": "weight", "b": "bias"}[key]).grad
        np.testing.assert_allclose(
            dW, ref_grad.numpy(), rtol=1e-9, atol=1e-12, err_msg=name
        )


def test_a_big_inference_batch_runs_in_slices_with_the_same_result(monkeypatch):
    rng = np.random.default_rng(0)
    conv = gn.Conv2D(2, 3, 3, padding=1, rng=0, dtype=np.float64)
    X = rng.normal(size=(7, 2, 5, 5))
    whole = conv.forward(X)
    monkeypatch.setattr(gn.Conv2D, "INFERENCE_COLS", 2 * 18 * 25)  # 2 samples a slice
    # equal up to rounding: BLAS may sum a smaller product in another order
    np.testing.assert_allclose(conv.forward(X), whole, rtol=1e-13, atol=1e-14)
    with pytest.raises(RuntimeError, match=r"training=True"):
        conv.backward(np.ones_like(whole))
    np.testing.assert_array_equal(conv.forward(X, training=True), whole)  # whole
    assert conv.backward(np.ones_like(whole)).shape == X.shape


@pytest.mark.parametrize(
    "layer",
    [
        gn.Conv2D(2, 3, 3, padding=1, rng=0, dtype=np.float64),
        gn.Conv2D(2, 3, 2, stride=3, rng=0, dtype=np.float64),  # gaps
        gn.MaxPool2D(2),  # tiles a 6×6 image: dX is written, not zeroed first
        gn.MaxPool2D(2, 3),  # gaps between windows
        gn.AvgPool2D(3, 2),  # overlapping windows
    ],
    ids=repr,
)
def test_backward_into_last_steps_arrays_gives_a_fresh_layers_result(layer):
    # inside fit every result is written into the array of the step before: no
    # number it held may leak into this one's (a missing zeroing would let it)
    rng = np.random.default_rng(1)
    X1, X2 = rng.normal(size=(2, 2, 2, 6, 6))
    Y2 = layer.forward(X2)
    G1, G2 = rng.normal(size=(2, *Y2.shape))
    fresh = layer.backward(G2).copy()
    layer._outputs = {}  # what Sequential.reusing_outputs gives every layer
    try:
        layer.forward(X1)
        layer.backward(G1)
        for array in layer._outputs.values():  # whatever else they may hold
            if array.dtype.kind == "f":
                array.fill(np.nan)
        np.testing.assert_array_equal(layer.forward(X2), Y2)
        np.testing.assert_array_equal(layer.backward(G2), fresh)
    finally:
        layer._outputs = None


def test_predict_and_evaluate_batches_keep_a_cnns_activations_bounded(monkeypatch):
    model = gn.Sequential(
        [gn.Conv2D(1, 4, 3, padding=1, rng=0), gn.ReLU(), gn.MaxPool2D(2),
         gn.Flatten(), gn.Dense(4 * 4 * 4, 3, rng=1), gn.Softmax()],
        input_shape=(1, 8, 8),
    )  # fmt: skip
    # a sample's activations: 4·8·8 (conv) + 4·8·8 (ReLU) + 3 × 4·4·4 + 2 × 3
    per_sample = 4 * (2 * 256 + 3 * 64 + 2 * 3)
    monkeypatch.setattr(gn.Sequential, "INFERENCE_BYTES", 10 * per_sample + 5)
    assert model.inference_batch_size() == 10
    rows: list[int] = []
    first = model.layers[0]
    forward = first.forward

    def counted(X, training=False):
        rows.append(X.shape[0])
        return forward(X, training)

    monkeypatch.setattr(first, "forward", counted)
    X = np.random.default_rng(0).normal(size=(25, 1, 8, 8)).astype(np.float32)
    y = np.arange(25) % 3
    Y_hat = model.predict(X)
    assert rows == [10, 10, 5]
    np.testing.assert_allclose(Y_hat, model.forward(X), rtol=1e-6, atol=1e-7)
    rows.clear()
    model.evaluate(X, y, loss=gn.CrossEntropy())
    assert rows == [10, 10, 5]
    rows.clear()
    model.predict(X, batch_size=25)  # an explicit batch size is kept
    assert rows == [25]


def test_an_mlp_keeps_the_default_batch_of_8192_rows_and_an_unknown_size_too():
    mlp = gn.Sequential([gn.Dense(784, 512), gn.ReLU(), gn.Dense(512, 10)])
    assert mlp.inference_batch_size() == gn.Sequential.MAX_INFERENCE_BATCH == 8192
    rnn = gn.Sequential(
        [gn.LSTM(1, 4, return_sequences=True)], input_shape=(None, 1)
    )  # a sequence of any length: its activations are not known
    assert rnn.inference_batch_size() == 8192


# ---- checkpoints, the demo and its command ----
class StopAt(gn.Callback):
    def __init__(self, step: int) -> None:
        self.step = step

    def on_step_end(self, step, model, logs):
        if step == self.step:
            raise RuntimeError("simulated crash")


def test_a_cnn_resumed_from_a_checkpoint_ends_with_the_same_weights(tmp_path):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 1, 10, 10)).astype(np.float32)
    y = rng.integers(0, 3, size=40)

    def train(model, **kw):
        return model.fit(
            X,
            y,
            loss=gn.CrossEntropy(),
            optimizer=gn.Adam(0.01),
            epochs=3,
            batch_size=8,
            seed=1,
            verbose=0,
            **kw,
        )

    straight = small_cnn()
    train(straight)
    path = tmp_path / "cnn.ckpt"
    with pytest.raises(RuntimeError, match="simulated crash"):
        train(small_cnn(), checkpoint=path, checkpoint_every=4, callbacks=[StopAt(9)])
    resumed = small_cnn()
    train(resumed, checkpoint=path, resume=True)
    for (name, W, _), (_, W_ref, _) in zip(
        resumed.parameters(), straight.parameters(), strict=True
    ):
        np.testing.assert_array_equal(W, W_ref, err_msg=name)


def test_demo_cnn_refuses_the_mlp_options_in_one_line(capsys):
    from glassnet.cli import main

    assert main(["demo", "cnn", "--layers", "8", "--plots", "figs"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0
    assert "demo cnn does not take --layers; it takes --epochs" in err


def test_the_demo_network_is_lenet_like_and_takes_mnist_images():
    from glassnet import demos

    model = demos.cnn_model()
    assert model.shapes[0] == (1, 28, 28)
    assert model.shapes[7] == (32 * 7 * 7,)  # Flatten → Dense 1568 → 128
    assert model.forward(np.zeros((2, 1, 28, 28), np.float32)).shape == (2, 10)


@pytest.mark.slow
def test_demo_cnn_reaches_99_percent_on_mnist(mnist_dir):
    import io as text_io

    from glassnet import demos

    out = text_io.StringIO()
    result = demos.cnn(out, data_dir=str(mnist_dir), verbose=0)
    assert result["test_accuracy"] >= 0.99, out.getvalue()
    assert " s for 4 epochs" in out.getvalue()  # the printed time


def test_demo_cnn_on_a_subset_prints_each_epoch_the_result_and_the_time(mnist_dir):
    import io as text_io

    from glassnet import demos

    out = text_io.StringIO()
    result = demos.cnn(out, epochs=2, subset=256, data_dir=str(mnist_dir), verbose=0)
    text = out.getvalue()
    assert "epoch 1: test accuracy" in text
    assert "epoch 2: test accuracy" in text
    assert f"test accuracy {100 * result['test_accuracy']:.2f} %" in text
    assert " s for 2 epochs" in text
    assert result["test_accuracy"] > 0.3  # 256 images, 2 epochs: far above 10 %
