"""cnnmath: the algorithms behind a reproducible book on the mathematics of convolutional networks.

The package mirrors the book. One subpackage per chapter holds that paper's algorithms:

- ``cnnmath.volterra``: Volterra convolutions (``conv``), proxy kernels and the hacking network
  (``proxy``), the networks of the chapter (``nets``);
- ``cnnmath.analytic``: the analytic kernel families (``kernels``), the analytic convolutional
  layer (``layer``), fitting kernels (``fit``) and its null baselines (``nulls``), small networks
  and their training (``nets``), seed statistics (``stats``);
- ``cnnmath.relu``: the networks (``nets``), the counting query oracle (``oracle``), the stages of
  the extraction (``linesearch``, ``hyperplanes``, ``layer1``, ``layer2``, ``output``) and its
  entry point (``extract``), alignment with the true network (``align``);
- ``cnnmath.shift``: the DT-CWPT (``dtcwpt``) and DT-CWT (``dtcwt``), RMax/CMod pooling and
  the shift-invariance measures (``pooling``);
- ``cnnmath.cross``: experiments that join the papers (``experiments``).

``cnnmath.book`` is the book's machinery (claims, catalogue and profiles, runner, seed sweep,
provenance, staging, scorecard, assets, publishing, benchmark records). ``data``, ``runtime``,
``plotting``, ``io``, ``npm`` and ``natural`` (first-layer kernels learned from natural images)
are shared helpers. Chapter code imports nothing of ``cnnmath.book`` but ``claims``; the
machinery imports no chapter code (``tests/test_layout.py``).
"""

__version__ = "0.1.0"
