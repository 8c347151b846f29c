"""The file format of each family of layers, for ``glassnet.io`` (internal).

``glassnet.io`` owns the file: its format and version, ``save`` and ``load``.
``header`` checks the header's other keys and ties the tensors to the architecture;
``architecture`` maps each layer to its entry and back, handling Dense and the
activations itself. Each other module owns one family's architecture entry (its keys
and how they are checked), its tensors' names and shapes, and how its layer is
rebuilt: ``norm_recurrent`` (BatchNorm1D/2D, RNN, LSTM), ``image`` (Conv2D, pooling,
Flatten, Dropout), ``frozen`` (Standardize, Unstandardize); ``fields`` holds the
checks they share. The format itself is described in ``glassnet.io``.
"""
