"""Notebook 09's widgets: the live answer beside the drawing pad, the replay explorer, and their plain twins.

- ``LiveAnswer(pad, model, fallback, classify)``: a panel that answers the drawing on a ``DrawingPad`` after every
  stroke (``pad.on_drawn``): the support drawings (every drawing kept on the pad, or the example alphabet's first
  drawing of each character while fewer than two characters are kept), the query as the model sees it, the squared
  distance from its embedding to each prototype as bars (Snell, Swersky & Zemel 2017, eq. 2), the nearest one as the
  answer, and the student's classifier's answer beside it. Nothing is plotted with matplotlib: the panel is HTML
  with small PNG thumbnails, so an answer takes a few milliseconds of the kernel's time. Bad input (nothing drawn,
  too few characters kept, a classifier that fails) is a sentence in the panel, never an exception.
- ``show_answer``: the same answer for stored drawings, printed (the live panel's plain twin).
- ``drawn_or_stored``: the drawings kept on the pad when there are enough of them, else the stored ones.
- ``replay_explorer``: a slider over the time of one drawing's making, in seconds (``strokes_until``);
  ``replay_numbers``, its plain twin, prints what the slider shows at a few moments.
"""
from __future__ import annotations

import base64
import html
import time
from typing import Any, Sequence

import numpy as np

from mlkit.live.alphabet import (Alphabet, Answer, Classifier, answer_drawing, as_alphabet, distances_text)
from mlkit.tasks.render import render_strokes, strokes_until
from mlkit.tasks.stroke_files import Drawing
from mlkit.viz.alphabet import duration, plot_replay_at
from mlkit.widgets import explore
from mlkit.widgets.drawing import png_bytes

THUMB_PX = 56  # side of a drawing's thumbnail in the panel


def _thumbnail(image: Any, side: int = THUMB_PX) -> str:
    """An <img> of a [1, 28, 28] image in [0, 1], dark ink on white paper."""
    pixels = np.round(255 * (1 - np.asarray(image)[0])).astype(np.uint8)
    data = base64.b64encode(png_bytes(pixels, side)).decode("ascii")
    return f"<img src='data:image/png;base64,{data}' width='{side}' height='{side}' style='border:1px solid #bbb'>"


def answer_html(answer: Answer, strokes: int, milliseconds: float, note: str = "") -> str:
    """The panel's HTML for one answer."""
    shots = answer.shots()
    cells = []
    for i, name in enumerate(answer.names):
        first = int((answer.y_support == i).nonzero()[0])
        count = f" ×{shots[i]}" if shots[i] > 1 else ""
        cells.append(f"<div style='text-align:center;margin:2px'>{_thumbnail(answer.support_images[first])}"
                     f"<br><small>{html.escape(name)}{count}</small></div>")
    query = (f"<div style='text-align:center;margin:2px 2px 2px 14px'>{_thumbnail(answer.query_image, 2 * THUMB_PX)}"
             f"<br><small><b>your drawing</b></small></div>")
    largest = float(answer.distances.max()) or 1.0
    rows = []
    for i, name in enumerate(answer.names):
        d = float(answer.distances[i])
        colour = "#c0392b" if i == answer.choice else "#aaa"
        rows.append(f"<tr><td><small>{html.escape(name)}</small></td><td style='width:260px'><div style='background:"
                    f"{colour};height:10px;width:{max(2, round(250 * d / largest))}px'></div></td>"
                    f"<td><small>{d:.1f}</small></td></tr>")
    if answer.yours is not None:
        agree = "agrees" if answer.yours == answer.choice else "disagrees"
        yours = f" · your nearest_prototype: <b>{html.escape(answer.names[answer.yours])}</b> ({agree})"
    else:
        yours = f" · {html.escape(answer.yours_note)}" if answer.yours_note else ""
    plural = "s" if strokes != 1 else ""
    return (f"<div class='mlkit-alphabet-live'><div style='display:flex;flex-wrap:wrap;align-items:flex-end'>"
            f"{''.join(cells)}{query}</div>"
            f"<table style='margin-top:4px'><tr><th><small>prototype</small></th><th><small>squared distance "
            f"‖f(drawing) − c‖²</small></th><th></th></tr>{''.join(rows)}</table>"
            f"<p>After {strokes} stroke{plural} the model answers <b class='mlkit-alphabet-answer'>"
            f"{html.escape(answer.chosen)}</b>{yours} <small>(computed in {milliseconds:.0f} ms)</small></p>"
            f"{f'<p><small>{html.escape(note)}</small></p>' if note else ''}</div>")


def message_html(text: str) -> str:
    return (f"<div class='mlkit-alphabet-live'><p><b class='mlkit-alphabet-answer'></b>"
            f"<span class='mlkit-alphabet-message'>{html.escape(text)}</span></p></div>")


class LiveAnswer:
    """The shipped model's answer to the drawing on ``pad``, redrawn after every stroke, undo, clear and keep.

    Args:
        pad: a ``DrawingPad``.
        model: the Prototypical Network (``mlkit.live.alphabet.shipped_model()``).
        fallback: the support while fewer than two characters have a kept drawing (its first drawing of each).
        classify: the student's ``nearest_prototype`` (or None), asked beside the model on the same embeddings.
    """

    def __init__(self, pad: Any, model: Any, fallback: Alphabet, classify: Classifier | None = None) -> None:
        import ipywidgets

        self.pad, self.model, self.fallback, self.classify = pad, model, fallback, classify
        self.panel = ipywidgets.HTML()
        self.last: Answer | None = None
        self.seconds: list[float] = []  # the kernel's time for each answer
        pad.on_drawn(self.update)
        self.update(pad.strokes())

    def support(self) -> tuple[dict[str, list[Drawing]], str]:
        """The drawings the prototypes come from, and a note saying which."""
        kept = {name: drawings for name, drawings in self.pad.alphabet().items() if drawings}
        if len(kept) >= 2:
            return kept, "The prototypes are the means of the drawings you kept."
        first = self.fallback.support(1)
        return first, (f"No drawings of two characters kept yet: the prototypes come from the first drawing of each "
                       f"character of {self.fallback.source}. Keep one drawing of each of your characters to use "
                       "yours.")

    def update(self, strokes: Drawing | None = None) -> None:
        """Answer the drawing ``strokes`` (default: the pad's) and show it in the panel."""
        start = time.perf_counter()
        strokes = self.pad.strokes() if strokes is None else strokes
        support, note = self.support()
        if not strokes:
            self.panel.value = message_html("Draw something first: the model answers after every stroke. " + note)
            return
        try:
            answer = answer_drawing(self.model, support, strokes, self.classify)
        except ValueError as error:
            self.panel.value = message_html(f"⚠ {error}")
            return
        seconds = time.perf_counter() - start
        self.seconds.append(seconds)
        self.last = answer
        self.panel.value = answer_html(answer, len(strokes), 1000 * seconds, note)

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.panel)


def show_answer(model: Any, support: dict[str, list[Drawing]], query: Drawing, classify: Classifier | None = None,
                label: str = "the query") -> Answer | None:
    """Print what the live panel shows for stored drawings: the distance to each prototype, the answer, and the
    student's classifier's answer. Returns the answer (None, with the reason printed, for bad input)."""
    try:
        answer = answer_drawing(model, support, query, classify)
    except ValueError as error:
        print(f"⚠ {error}")
        return None
    shots = answer.shots()
    print(f"{label}, against {len(answer.names)} characters ({shots[0] if len(set(shots)) == 1 else shots} "
          f"drawing{'s' if max(shots) > 1 else ''} each):")
    print(distances_text(answer))
    print(f"the model answers {answer.chosen}", end="")
    if answer.yours is not None:
        same = "the same" if answer.yours == answer.choice else "a different answer"
        print(f"; your nearest_prototype answers {answer.names[answer.yours]} ({same})")
    else:
        print(f"; {answer.yours_note}" if answer.yours_note else "")
    return answer


def drawn_or_stored(pad: Any, stored: Alphabet, min_drawings: int = 2) -> Alphabet:
    """The drawings kept on ``pad`` when at least two characters have ``min_drawings`` or more (a drawing to learn
    from and one to test), else ``stored``; says which."""
    kept = {name: drawings for name, drawings in pad.alphabet().items() if drawings}
    enough = {name: drawings for name, drawings in kept.items() if len(drawings) >= min_drawings}
    if len(enough) >= 2:
        alphabet = as_alphabet(enough, "your drawings on the pad")
        left_out = sorted(set(kept) - set(enough))
        print(f"Using {alphabet.describe()}" + (f"; left out (fewer than {min_drawings} drawings): "
                                                 f"{', '.join(left_out)}" if left_out else ""))
        return alphabet
    print(f"Using {stored.describe()}.\nTo use yours: keep at least {min_drawings} drawings of each of two or more "
          "characters on the pad, then run this cell again.")
    return stored


def replay_numbers(drawing: Drawing, label: str = "", moments: Sequence[float] = (0.0, 0.25, 0.5, 0.75, 1.0)) -> None:
    """What the replay explorer shows at ``moments`` (fractions of the drawing's duration), printed: the strokes
    begun, the pen positions drawn and the ink pixels of the 28x28 image by then."""
    total = duration(drawing)
    print(f"{label}: {len(drawing)} strokes, {sum(len(s) for s in drawing)} pen positions, {total / 1000:.2f} s")
    for f in moments:
        shown = strokes_until(drawing, f * total)
        ink = int((render_strokes(shown)[0] > 0).sum()) if shown else 0
        print(f"  t = {f * total / 1000:5.2f} s: {len(shown)} strokes begun, {sum(len(s) for s in shown):3d} "
              f"positions, {ink:3d} ink pixels at 28x28")


def replay_explorer(drawing: Drawing, label: str = "", t: float | None = None):
    """A "time t (s)" slider over the making of ``drawing`` (in steps of a fortieth of its duration, at least 0.05 s):
    the drawing as it stood at t beside its strokes' timeline. ``t``: where the slider starts (default: half way)."""
    from ipywidgets import FloatSlider

    total = duration(drawing) / 1000  # seconds
    step = max(0.05, round(total / 40, 2))
    last = step * int(np.ceil(total / step))

    def redraw(t: float) -> None:
        from IPython.display import display

        shown = strokes_until(drawing, 1000 * t)
        print(f"t = {t:.2f} s: {len(shown)} of {len(drawing)} strokes begun")
        display(plot_replay_at(drawing, 1000 * t, label))

    start = step * round(total / 2 / step) if t is None else min(max(float(t), 0.0), last)
    return explore(redraw, t=FloatSlider(value=start, min=0.0, max=last, step=step, readout_format=".2f",
                                         description="time t (s)"))
