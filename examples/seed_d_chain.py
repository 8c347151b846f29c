"""Seed D: backpropagation through a chain of three single weights, and its check.

The network has no activations and no biases:

    y = w1·x,   z = w2·y,   e = w3·z,   L = ½ (e − ê)²

It learns e = −x from the samples x = 1 → −1 and x = −1 → 1 with plain SGD (lr 0.05,
one sample per update, 160 epochs). Backpropagation gives, with δ = e − ê:

    dL/dw3 = δ·z,   dL/dw2 = δ·w3·y,   dL/dw1 = δ·w3·w2·x

— the factor δ·w3 is computed once and reused for w2 and w1: that reuse is
backpropagation. The script prints these next to central differences
(L(w + ε) − L(w − ε)) / 2ε with ε = 1e-4 for the first updates, then the predictions.

Why the seed's own printout differs in the third digit: its code updates w3 *before*
passing the gradient back through w3, so dL/dw2 and dL/dw1 are computed with the new
w3 while the numerical check used the old one. glassnet computes every gradient first
and updates after (one optimizer step per backward pass), so the two columns agree to
about 1e-8. The last column shows the seed's order for comparison.

Run: python examples/seed_d_chain.py
"""

from __future__ import annotations

import numpy as np

import glassnet as gn

LR, EPOCHS, EPS = 0.05, 160, 1e-4
X = np.array([[1.0], [-1.0]])
Y = np.array([[-1.0], [1.0]])
INITIAL = (0.2333, -0.233, -0.52133)


def chain(weights: tuple[float, float, float]) -> gn.Sequential:
    """Three Dense(1 → 1) layers without bias, in float64."""
    return gn.Sequential(
        [gn.Dense(1, 1, bias=False, init=[[w]], dtype=np.float64) for w in weights]
    )


def main() -> None:
    model, loss, opt = chain(INITIAL), gn.MSE(), gn.SGD(LR)
    print("step  weight  backprop        numerical       |diff|     seed's order")
    step = 0
    for _epoch in range(EPOCHS):
        for i in range(len(X)):
            x, y = X[i : i + 1], Y[i : i + 1]
            model.loss_and_gradients(x, y, loss)
            if step < 4:
                w1, w2, w3 = (float(layer.W[0, 0]) for layer in model.layers)
                delta = w3 * w2 * w1 * x[0, 0] - y[0, 0]
                w3_new = (
                    w3 - LR * delta * w2 * w1 * x[0, 0]
                )  # the seed updates w3 first
                seed_order = [
                    delta * w3_new * w2 * x[0, 0],
                    delta * w3_new * w1 * x[0, 0],
                ]
                for k, layer in enumerate(model.layers):
                    numeric = gn.numerical_gradient(
                        lambda _, x=x, y=y: model.forward_loss(x, y, gn.MSE())[0],
                        layer.W,
                        EPS,
                    )[0, 0]
                    analytic = float(layer.dW[0, 0])
                    seed = f"{seed_order[k]: .9f}" if k < 2 else "(as backprop)"
                    print(
                        f"{step:4d}  w{k + 1}     {analytic: .9f}  {numeric: .9f}  "
                        f"{abs(analytic - numeric):.1e}    {seed}"
                    )
            opt.step(model)
            step += 1
    w = [float(layer.W[0, 0]) for layer in model.layers]
    print(
        f"after {EPOCHS} epochs ({step} updates): w1 = {w[0]:.5f}, "
        f"w2 = {w[1]:.5f}, w3 = {w[2]:.5f}"
    )
    for x in (1.0, -1.0):
        e = float(model.predict(np.array([[x]]))[0, 0])
        print(f"predict({x:+.0f}) = {e:+.5f}  -> sign {int(np.sign(e)):+d}")
    same = chain((0.2333, 0.2333, 0.2333))
    same.fit(
        X,
        Y,
        loss=gn.MSE(),
        optimizer=gn.SGD(LR),
        epochs=EPOCHS,
        batch_size=1,
        shuffle=False,
        verbose=0,
    )
    e = float(same.predict(np.array([[1.0]]))[0, 0])
    print(
        f"all weights 0.2333 instead: predict(+1) = {e:+.5f} (wrong sign: the "
        "three equal weights shrink together towards 0 and never turn negative)"
    )


if __name__ == "__main__":
    main()
