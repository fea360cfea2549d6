"""Chapter 3, Rolnick & Kording, *Reverse-engineering deep ReLU networks*, ICML 2020.

``from cnnmath.relu import extract, Oracle`` is all a user needs: the oracle wraps any black box
(a NumPy function or a float64 torch ``nn.Module``), :func:`extract` recovers the network. The
stages live in ``oracle``, ``linesearch``, ``hyperplanes``, ``layer1``, ``layer2`` (with ``neuron``
and ``crossings``), ``layer3``, ``output``, ``refine``;
``nets`` holds the target networks, ``align`` the scoring against the white box.
"""

from cnnmath.relu.extract import Extraction, extract
from cnnmath.relu.oracle import Oracle, OracleError, QueryBudgetExceeded

__all__ = ["Extraction", "Oracle", "OracleError", "QueryBudgetExceeded", "extract"]
