"""The Layer contract, the dicts that hold a layer's parameters, and output reuse.

Every layer fulfils one contract:

- ``forward(X, training=False) -> Y`` computes the output of the batch X (one sample
  per row: X is (m, ...)) and caches what ``backward`` needs. ``training`` is True
  inside ``fit``; only layers that behave differently while training (dropout, batch
  normalisation) read it.
- ``backward(dY, need_dX=True) -> dX`` takes dL/dY, writes dL/dparam into ``grads``
  and returns dL/dX. It never changes its argument or the parameters. With
  ``need_dX=False`` (the first layer of a model: nobody reads its dX) a layer may skip
  that product and return None.
- ``params`` and ``grads``: dicts with the same keys and shapes (empty for an
  activation). Inside a model every array in them is a view of the model's one
  parameter vector θ (or gradient vector dθ), see ``glassnet.params``.
- ``buffers``: state that is saved but not trained (BatchNorm's running statistics):
  not in θ, never stepped by an optimizer, written by ``glassnet.io`` and by
  checkpoints. Empty for most layers.
- ``output_shape(in_shape) -> out_shape``: the shape of one sample's output for one
  sample's input (None for a size not known yet); raises ValueError when the layer
  cannot take that input. ``Sequential`` checks the whole chain with it when built.

A layer that draws random numbers (Dropout) keeps its own ``numpy.random.Generator``
in ``rng``: checkpoints save its state, so a resumed fit draws what an uninterrupted
one would.

Checks that cost O(1) (shapes, dtypes) stay in the layers; checks that cost O(data)
(converting dtypes, looking for NaN) are made once, at the model's boundary.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike, DTypeLike, NDArray

__all__ = ["Layer", "ParameterDict", "as_float_array"]

Array = NDArray[Any]
Shape = tuple[int | None, ...]


def as_float_array(X: ArrayLike, dtype: DTypeLike, what: str) -> Array:
    """``X`` as an array of ``dtype``; a TypeError naming ``what`` for non-numbers.

    An array that already has ``dtype`` is returned as it is (no copy).

    >>> import numpy as np
    >>> from glassnet.layers.base import as_float_array
    >>> as_float_array([1, 2], np.float32, "X")
    array([1., 2.], dtype=float32)
    >>> as_float_array(["1.5"], np.float32, "the input X")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    TypeError: the input X must hold numbers; got an array of dtype <U3. Convert ...
    """
    arr = np.asarray(X)
    if arr.dtype.kind not in "biuf":
        raise TypeError(
            f"{what} must hold numbers; got an array of dtype {arr.dtype}. "
            "Convert strings or objects to floats first."
        )
    return arr.astype(dtype, copy=False)


class ParameterDict(dict[str, Array]):
    """A layer's parameters (or gradients) by name; assigning writes into the array.

    ``params["W"] = new_values`` copies the values into the existing array, which
    keeps its shape, dtype and C order — and so stays the view of θ that the model
    and its optimizer update. A value of another shape is refused: replacing the
    array instead would silently detach the parameter from the model. A new name is
    stored as a C-ordered copy.

    >>> import numpy as np
    >>> import glassnet as gn
    >>> layer = gn.Dense(2, 1, rng=0)         # its params and grads are ParameterDicts
    >>> W = layer.params["W"]
    >>> layer.params["W"] = [[1.0, 2.0]]      # copied into W: same array, same dtype
    >>> layer.params["W"] is W, W.tolist(), W.dtype
    (True, [[1.0, 2.0]], dtype('float32'))
    >>> layer.params["W"] = np.zeros((2, 2))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ValueError: parameter 'W' has shape (1, 2); got an array of shape (2, 2). ...
    """

    def __setitem__(self, key: str, value: ArrayLike) -> None:
        old = self.get(key)
        if old is None:
            super().__setitem__(key, np.array(value, order="C"))
            return
        new = np.asarray(value)
        if new.shape != old.shape:
            raise ValueError(
                f"parameter {key!r} has shape {old.shape}; got an array of shape "
                f"{new.shape}. Parameters keep their shape: build a new layer for "
                "another size."
            )
        np.copyto(old, new, casting="same_kind")

    def rebind(self, key: str, array: Array) -> None:
        """Make ``array`` the storage of ``key`` (values are not copied).

        Only for the code that lays parameters out (``glassnet.params``) and for
        ``astype``: everything else assigns, which writes into the array.
        """
        super().__setitem__(key, array)


class Layer:
    """The contract every layer fulfils; activations inherit it as it is.

    A subclass calls ``super().__init__()``, fills ``self.params`` and
    ``self.grads`` (same keys and shapes) if it has parameters, and implements
    ``forward`` and ``backward``. In a model the arrays of both dicts are views of
    θ and dθ: assign an entry (``self.grads["W"] = ...`` writes into it) or write
    into it (``out=self.grads["W"]``). A new dict assigned to ``self.params`` or
    ``self.grads`` is taken into θ the next time the model steps (its values are
    copied), so no parameter is ever left behind.

    A layer without parameters needs only ``forward`` and ``backward``:

    >>> import numpy as np
    >>> import glassnet as gn
    >>> class Square(gn.Layer):                  # A = X², dX = 2 · X · dA
    ...     def forward(self, X, training=False):
    ...         self.X = X                       # cache what backward needs
    ...         return X * X
    ...     def backward(self, dY, need_dX=True):
    ...         return 2 * self.X * dY
    >>> square = Square()
    >>> square.forward(np.array([[1.0, -3.0]])).tolist()
    [[1.0, 9.0]]
    >>> square.backward(np.array([[1.0, 1.0]])).tolist()
    [[2.0, -6.0]]
    >>> model = gn.Sequential([gn.Dense(2, 1, init=[[0.5, 1.0]]), Square()])
    >>> sorted(gn.check_gradients(model, gn.MSE(), np.ones((3, 2)), np.zeros(3)))
    ['0.W', '0.b']
    """

    # None: results are new arrays. While a model trains (Sequential.reusing), a
    # dict of arrays that each result is written into step after step.
    _outputs: dict[str, Array] | None = None
    # The ParameterVector whose θ holds this layer's parameters (glassnet.params)
    _vector: Any = None

    def __init__(self) -> None:
        # Trainable parameters by name, and dL/dparam with the same keys and shapes
        # (both empty for a layer without parameters).
        self.params: ParameterDict = ParameterDict()
        self.grads: ParameterDict = ParameterDict()

    @property
    def buffers(self) -> dict[str, Array]:
        """Saved state that is not a parameter, by name (empty for most layers).

        BatchNorm's running statistics are buffers (PyTorch's word): ``glassnet.io``
        and checkpoints save them, an optimizer never steps them, and they are not
        in θ. A layer with buffers returns its own arrays, which loading writes into.
        """
        return {}

    def forward(self, X: Array, training: bool = False) -> Array:
        """Compute the layer's output for the batch X and cache what backward needs."""
        raise NotImplementedError

    def backward(self, dY: Array, need_dX: bool = True) -> Array | None:
        """Given dL/dY, write parameter gradients into ``grads``; return dL/dX."""
        raise NotImplementedError

    def output_shape(self, in_shape: Shape) -> Shape:
        """Shape of one sample's output for one sample's input ``in_shape``."""
        return in_shape

    def astype(self, dtype: DTypeLike) -> Layer:
        """Convert parameters and gradients to ``dtype`` (a layer outside a model)."""
        for table in (self.params, self.grads):
            for key, array in list(table.items()):
                table.rebind(key, array.astype(dtype))
        return self

    def out(self, name: str, shape: tuple[int, ...], dtype: Any) -> Array | None:
        """The array that result ``name`` is written into, or None for a new one.

        Outside ``fit`` every result is a new array. While a model trains, the same
        array is handed back step after step while its shape stays: a large fresh array
        costs the system's zeroing of its memory pages on every step, a reused one
        does not. Each result is read only within its step (by the next layer, or by
        a cache the same step's backward reads), so overwriting it at the next step
        changes no number; ``tests/test_model.py`` checks that fit's weights are the
        same bits as those of a loop of the public calls.
        """
        outputs = self._outputs
        if outputs is None:
            return None
        array = outputs.get(name)
        # a new shape (the smaller last batch of an epoch, a validation batch) gets a
        # new array; within one fit a result keeps its dtype
        if array is None or array.shape != shape:
            array = outputs[name] = np.empty(shape, dtype=dtype)
        return array

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"

    def _cached(self, name: str) -> Any:
        value = getattr(self, name, None)
        if value is None:
            raise RuntimeError(f"{self!r}.backward called before forward.")
        return value

    def _cache_like(self, name: str, dY: Array) -> Array:
        """The cached array ``name``, checked to have dY's shape (activations)."""
        value = self.__dict__.get(name)
        if value is None:
            raise RuntimeError(f"{self!r}.backward called before forward.")
        if dY.shape != value.shape:
            self._check_dY(dY, value.shape)
        return value  # type: ignore[no-any-return]

    def _check_dY(self, dY: Array, expected: tuple[int, ...]) -> None:
        if dY.shape != expected:
            raise ValueError(
                f"{self!r}.backward expected dY of shape {expected} (the shape of its "
                f"last output); got {dY.shape}."
            )
