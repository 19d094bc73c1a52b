"""The results shipped in ``mlkit/results/`` that tests read: skip, naming the command that writes it, when one is
missing (a checkout made before that reproduction ran)."""
from typing import Any

import pytest

from mlkit.experiments.report import load_result


def shipped_result(name: str) -> dict[str, Any]:
    """``mlkit/results/<name>.json``, or a skip that says ``python -m mlkit reproduce <name>`` writes it."""
    try:
        return load_result(name)
    except ValueError:
        pytest.skip(f"mlkit/results/{name}.json comes from `python -m mlkit reproduce {name}`")
