"""cnnmath: the algorithms behind a reproducible book on the mathematics of convolutional networks.

One module per idea (see the book's chapters): ``volterra`` (Volterra convolutions and proxy
kernels), ``analytic`` (analytic convolutional layer), ``relu_extract`` (reverse-engineering
ReLU networks), ``wavelets`` and ``shift`` (DT-CWPT and the shift invariance of max pooling);
and the book's machinery: ``claims``, ``catalog``, ``reproduce``, ``data``, ``plotting``,
``runtime``.
"""

__version__ = "0.1.0"
