"""cnnmath: the algorithms behind a reproducible book on the mathematics of convolutional networks.

The package mirrors the book. One subpackage per chapter holds that paper's algorithms:

- ``cnnmath.volterra``: Volterra convolutions (``conv``), proxy kernels and the hacking network
  (``proxy``), the networks of the chapter (``nets``);
- ``cnnmath.analytic``: analytic kernels and the analytic convolutional layer (``layer``), small
  networks and their training (``nets``);
- ``cnnmath.relu``: black-box ReLU networks and the query oracle (``nets``), the extraction
  (``extract``), alignment with the true network (``align``);
- ``cnnmath.shift``: the DT-CWPT (``dtcwpt``) and DT-CWT (``dtcwt``), RMax/CMod pooling and
  the shift-invariance measures (``pooling``);
- ``cnnmath.cross``: experiments that join the papers (``experiments``).

``cnnmath.book`` is the book's machinery (claims, catalogue and profiles, runner, scorecard,
assets, publishing, benchmark records). ``data``, ``runtime``, ``plotting``, ``io`` and ``npm``
are shared helpers. Chapter code imports nothing of ``cnnmath.book`` but ``claims``; the
machinery imports no chapter code (``tests/test_layout.py``).
"""

__version__ = "0.1.0"
