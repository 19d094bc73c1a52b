"""Interactive explorers (ipywidgets) for the notebooks, one module per topic.

Every explorer goes through ``explore``: in JupyterLab it is ``ipywidgets.interact``; in a headless run
(``MLKIT_HEADLESS=1``, set by ``python -m mlkit.build`` for ``make run``) it calls the function once with every
slider at its default value, so the executed notebook still shows the plot and the numbers, and papermill never
waits on widget messages (papermill's emulation of the widget output area was seen to hang intermittently).
"""
from __future__ import annotations

import os
from typing import Any, Callable

HEADLESS_ENV = "MLKIT_HEADLESS"


def headless() -> bool:
    """True when notebooks are being executed without a browser (``MLKIT_HEADLESS=1``)."""
    return os.environ.get(HEADLESS_ENV, "") not in ("", "0")


def explore(function: Callable[..., Any], **controls: Any):
    """``ipywidgets.interact(function, **controls)``, or one call with the controls' default values when headless."""
    if headless():
        function(**{name: getattr(control, "value", control) for name, control in controls.items()})
        return None
    import ipywidgets

    return ipywidgets.interact(function, **controls)
