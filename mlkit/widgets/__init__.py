"""Interactive explorers (ipywidgets) for the notebooks, one module per topic.

Every explorer goes through ``explore(function, **controls)``: sliders (or other controls) above an output area;
moving a control calls ``function`` again with the controls' values and shows what it printed and plotted.

Why not ``ipywidgets.interact``: ``interact`` shows the function's output by *capturing* it into an ``Output``
widget. Headless runners (papermill and nbconvert, through nbclient) emulate that capture: for every captured
output, nbclient sends a ``comm_msg`` to the kernel on the shell socket while another of its coroutines is waiting
on the same socket for the cell's ``execute_reply``. That concurrent send and receive on one ZeroMQ socket can lose
the reply's wake-up, and the run then waits forever on an idle kernel (intermittently: seen in 2 of 5 plain
papermill runs of notebook 04). ``explore`` instead records the call's outputs itself and *sets* the ``Output``
widget's ``outputs``: the kernel only sends state updates, nbclient never sends anything back, and nothing can hang.

``MLKIT_HEADLESS=1`` (set by ``python -m mlkit.build`` for ``make run``) is no longer needed to avoid a hang; it
makes an explorer draw once into the cell's ordinary outputs, so a static rendering (HTML) shows the plot too.
"""
from __future__ import annotations

import os
import sys
import traceback
from typing import Any, Callable

HEADLESS_ENV = "MLKIT_HEADLESS"


def headless() -> bool:
    """True when notebooks are being executed for a static rendering (``MLKIT_HEADLESS=1``)."""
    return os.environ.get(HEADLESS_ENV, "") not in ("", "0")


class _Recorder:
    """What one call prints and displays, in order, as notebook output dicts (the ``Output`` widget's format).

    Used as ``sys.stdout`` / ``sys.stderr`` (``write``) and as IPython's display publisher (``publish``).
    """

    def __init__(self) -> None:
        self.outputs: list[dict[str, Any]] = []

    def stream(self, name: str) -> Any:
        recorder = self

        class Stream:
            def write(self, text: str) -> int:
                last = recorder.outputs[-1] if recorder.outputs else {}
                if last.get("output_type") == "stream" and last.get("name") == name:
                    last["text"] += text
                else:
                    recorder.outputs.append({"output_type": "stream", "name": name, "text": text})
                return len(text)

            def flush(self) -> None:
                pass

        return Stream()

    def publish(self, data: dict, metadata: dict | None = None, **_: Any) -> None:
        self.outputs.append({"output_type": "display_data", "data": data, "metadata": metadata or {}})

    def clear_output(self, wait: bool = False) -> None:
        self.outputs.clear()

    def error(self, error: BaseException) -> None:
        lines = traceback.format_exception(type(error), error, error.__traceback__)
        self.outputs.append({"output_type": "error", "ename": type(error).__name__, "evalue": str(error),
                             "traceback": [line.rstrip("\n") for line in lines]})


def record(function: Callable[..., Any], kwargs: dict[str, Any]) -> list[dict[str, Any]]:
    """Call ``function(**kwargs)`` and return what it printed and displayed (figures included), in order.

    An exception is recorded as an error output (with its traceback), as ``interact`` would show it.
    """
    from IPython import get_ipython
    from ipywidgets.widgets.interaction import show_inline_matplotlib_plots

    recorder = _Recorder()
    shell = get_ipython()
    saved = sys.stdout, sys.stderr, getattr(shell, "display_pub", None)
    sys.stdout, sys.stderr = recorder.stream("stdout"), recorder.stream("stderr")
    if shell is not None:
        shell.display_pub = recorder
    try:
        function(**kwargs)
        show_inline_matplotlib_plots()  # figures the function left open, as interact shows them
    except Exception as error:  # shown in the output area, like interact does; the explorer keeps working
        recorder.error(error)
    finally:
        sys.stdout, sys.stderr = saved[0], saved[1]
        if shell is not None:
            shell.display_pub = saved[2]
    return recorder.outputs


def explore(function: Callable[..., Any], **controls: Any):
    """Controls for ``function``'s arguments above an output area that redraws when one moves.

    ``controls`` are ipywidgets (sliders, dropdowns), ``ipywidgets.fixed(value)`` or ``interact``'s
    abbreviations. Returns a ``VBox`` (its ``children``: the controls, then the output area) for the cell to show
    as its last expression, or None in a headless run, where ``function`` is called once with every control at its
    value and its outputs become the cell's own.
    """
    if headless():
        function(**{name: getattr(control, "value", control) for name, control in controls.items()})
        return None
    import ipywidgets

    widgets = {name: ipywidgets.interactive.widget_from_abbrev(control) for name, control in controls.items()}
    shown = [w for w in widgets.values() if not isinstance(w, ipywidgets.fixed)]
    output = ipywidgets.Output()

    def draw(change: Any = None) -> None:
        output.outputs = tuple(record(function, {name: w.value for name, w in widgets.items()}))

    for widget in shown:
        widget.observe(draw, names="value")
    draw()
    return ipywidgets.VBox([*shown, output])
