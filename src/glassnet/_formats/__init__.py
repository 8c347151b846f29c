"""The file format of each family of layers, for ``glassnet.io`` (internal).

``glassnet.io`` owns the file: the header, the checks of the tensors against the
architecture, ``save`` and ``load``. Each module here owns one family's architecture
entry (its keys and how they are checked), its tensors' names and shapes, and how its
layer is rebuilt: ``norm_recurrent`` (BatchNorm1D/2D, RNN, LSTM), ``image`` (Conv2D,
pooling, Flatten, Dropout), ``frozen`` (Standardize, Unstandardize); ``fields`` holds
the checks they share. The format itself is described in ``glassnet.io``.
"""
