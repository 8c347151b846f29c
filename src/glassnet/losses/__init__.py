"""Losses: a scalar L of the predictions Ŷ and targets Y, averaged over the m samples.

Contract: ``forward(Y_hat, Y) -> float`` caches what ``backward() -> dY_hat`` needs;
dY_hat already carries the 1/m of the average.

The two classification losses also have a *fused* form that starts from the logits Z
of the layer before the output activation (sigmoid for BinaryCrossEntropy, softmax for
CrossEntropy): ``forward_logits(Z, Y)`` and ``backward_logits() -> dZ = (A − T) / m``.
That gradient is exact and never divides by a saturated output, and the loss is
computed with log-sum-exp, so a confidently wrong logit of ±500 gives a large finite
loss instead of inf. ``Sequential`` uses the fused form whenever a model ends in the
matching activation.

>>> import numpy as np
>>> loss = MSE()
>>> loss.forward(np.array([[1.0], [3.0]]), np.array([[0.0], [0.0]]))  # (1 + 9) / (2·2)
2.5
"""

from glassnet.losses.base import Loss
from glassnet.losses.binary import BinaryCrossEntropy
from glassnet.losses.categorical import CrossEntropy
from glassnet.losses.mse import MSE

__all__ = ["MSE", "BinaryCrossEntropy", "CrossEntropy", "Loss"]
