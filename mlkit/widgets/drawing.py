"""A drawing pad for characters, on an ipycanvas canvas: the student draws, the pad records Omniglot-format strokes.

Lake, Salakhutdinov & Tenenbaum (2015, Science, "Human-level concept learning through probabilistic program
induction") test one-shot learning on characters people draw once; ``DrawingPad`` lets a student do the same with
characters of their own. Drawn with the mouse, a pen or a finger (ipycanvas's mouse and touch events), each drawing
is recorded as pen strokes in Omniglot's format (``mlkit.widgets.stroke_recorder``: x, y in the 105x105 image's
pixel units, y negative downwards, t in ms from the first point), and beside the canvas the pad shows what a model
will see: ``render_strokes`` of the drawing at 28x28, the very image a classifier is given.

Buttons: **undo stroke**, **clear**, **keep** (the drawing becomes one of the selected character's, the canvas is
cleared and the next character selected: draw characters 1..N once, then again for test drawings), **save** and
**load** (an alphabet as a zip of stroke files, ``<Alphabet>/characterNN/<id>_<drawer>.txt``, which
``mlkit.tasks.Strokes`` and ``load_alphabet`` read too, so a class can share alphabets).

In Python: ``pad.alphabet()`` is the kept drawings ({"character01": [drawing, ...], ...}), ``pad.strokes()`` the
drawing on the canvas, ``pad.on_drawn(callback)`` calls ``callback(strokes)`` after every stroke (for a live
answer). A notebook run without a browser loads stored drawings instead: ``load_alphabet(path)`` (a plain
function), or ``pad.load(path)``. Nothing the student drew is lost on bad input: an error (a file that does not
load, keeping an empty drawing) is shown on the pad's status line and changes nothing.
"""
from __future__ import annotations

import html
import io
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np
from PIL import Image

from mlkit.tasks.render import PEN_WIDTH, render_strokes
from mlkit.tasks.stroke_files import Drawing, check_drawing, load_alphabet, save_alphabet
from mlkit.widgets.stroke_recorder import StrokeRecorder

PREVIEW_PX = 140  # side of the 28x28 preview on screen


def png_bytes(pixels: np.ndarray, side: int) -> bytes:
    """uint8 [H, W] grey pixels as a PNG scaled to ``side`` x ``side`` by repeating pixels (no smoothing)."""
    image = Image.fromarray(pixels, "L").resize((side, side), Image.Resampling.NEAREST)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def preview_pixels(strokes: Sequence[np.ndarray], size: int = 28, pen_width: float = PEN_WIDTH) -> np.ndarray:
    """What a model sees of a drawing, as uint8 [size, size] grey levels (0 where nothing is drawn)."""
    if not strokes:
        return np.zeros((size, size), np.uint8)
    image = render_strokes(list(strokes), size, pen_width, "the drawing")  # [1, size, size] in [0, 1]
    return np.round(image[0].numpy() * 255).astype(np.uint8)


class DrawingPad:
    """A square canvas to draw characters on, a preview of the model's input, and the kept drawings.

    Args:
        characters: how many characters (named ``character01``...) or their folder names.
        canvas_px: the canvas side on screen, in pixels.
        size: the model's image side (the preview's resolution).
        pen_width: the pen's diameter at 105x105, in pixels, for the canvas and the preview (5, as Omniglot).
        alphabet: the alphabet's name, used as the folder inside saved files.
        path: the file that save and load use by default.
    """

    def __init__(self, characters: int | Sequence[str] = 5, canvas_px: int = 280, size: int = 28,
                 pen_width: float = PEN_WIDTH, alphabet: str = "My_alphabet",
                 path: str | Path = "my_alphabet.zip") -> None:
        import ipywidgets
        from ipycanvas import Canvas

        if isinstance(characters, int):
            if not 1 <= characters <= 99:
                raise ValueError(f"characters must be a count in 1..99 or a list of names, got {characters}")
            characters = [f"character{i + 1:02d}" for i in range(characters)]
        if not characters or len(set(characters)) != len(characters):
            raise ValueError(f"characters must name at least one character, each once, got {characters!r}")
        self.recorder = StrokeRecorder(canvas_px)
        self.size, self.pen_width, self.alphabet_name = size, pen_width, alphabet
        preview_pixels([np.zeros((1, 3)) + [52, -52, 0]], size, pen_width)  # checks size and pen_width now
        self.kept: dict[str, list[Drawing]] = {name: [] for name in characters}
        self._callbacks: list[Callable[[Drawing], Any]] = []
        self.canvas = Canvas(width=canvas_px, height=canvas_px, layout=ipywidgets.Layout(
            width=f"{canvas_px}px", height=f"{canvas_px}px", border="1px solid #888"))
        self.preview = ipywidgets.Image(format="png", width=PREVIEW_PX, height=PREVIEW_PX)
        self.character = ipywidgets.Dropdown(options=list(characters), description="character")
        self.file = ipywidgets.Text(value=str(path), description="file")
        self.status = ipywidgets.HTML()
        buttons = {"undo stroke": self.undo, "clear": self.clear, "keep": self.keep, "save": self.save,
                   "load": self.load}
        self.buttons = {}
        for label, action in buttons.items():
            button = ipywidgets.Button(description=label)
            button.on_click(lambda _, act=action: self._safely(act))
            self.buttons[label] = button
        self._wire_canvas()
        self.widget = ipywidgets.VBox([
            ipywidgets.HBox([self.canvas, ipywidgets.VBox([ipywidgets.HTML("what the model sees (28x28):"),
                                                           self.preview])]),
            ipywidgets.HBox([self.character, *(self.buttons[b] for b in ("undo stroke", "clear", "keep"))]),
            ipywidgets.HBox([self.file, self.buttons["save"], self.buttons["load"]]),
            self.status,
        ])
        self._redraw()

    # --- what a notebook uses -------------------------------------------------------------------------------------
    def strokes(self) -> Drawing:
        """The drawing on the canvas: strokes [n, 3] of (x, y, t) in Omniglot's units (empty list: nothing drawn)."""
        return self.recorder.strokes

    def alphabet(self) -> dict[str, list[Drawing]]:
        """The kept drawings: character name -> its drawings in the order they were kept (copies)."""
        return {name: [list(d) for d in drawings] for name, drawings in self.kept.items()}

    def on_drawn(self, callback: Callable[[Drawing], Any]) -> None:
        """Call ``callback(strokes)`` after every stroke, undo, clear, keep and load (``strokes``: the drawing on the
        canvas; ``alphabet()`` gives the kept drawings)."""
        self._callbacks.append(callback)

    def model_input(self) -> np.ndarray:
        """What the preview shows: uint8 [size, size], ``render_strokes`` of the canvas's drawing times 255."""
        return preview_pixels(self.strokes(), self.size, self.pen_width)

    def keep(self, character: str | None = None) -> None:
        """Keep the canvas's drawing as one of ``character``'s (default: the selected one), clear the canvas and
        select the next character."""
        name = self.character.value if character is None else character
        if name not in self.kept:
            raise ValueError(f"character must be one of {', '.join(self.kept)}, got {name!r}")
        if self.recorder.is_empty:
            raise ValueError("nothing is drawn: draw the character before keeping it")
        drawing = check_drawing(self.strokes(), "the drawing")
        self.kept[name].append(drawing)
        self.recorder.clear()
        names = list(self.kept)
        self.character.value = names[(names.index(name) + 1) % len(names)]
        self._redraw(f"kept drawing {len(self.kept[name])} of {name}")
        self._notify()  # the canvas is empty now, and the kept drawings changed

    def save(self, path: str | Path | None = None) -> Path:
        """Save the kept drawings as a zip of stroke files (default: the file box's path); returns the path."""
        chosen = {name: drawings for name, drawings in self.kept.items() if drawings}
        if not chosen:
            raise ValueError("no drawing is kept yet: keep at least one drawing before saving")
        written = save_alphabet(self.file.value if path is None else path, chosen, self.alphabet_name)
        self._show(f"saved {sum(len(d) for d in chosen.values())} drawings of {len(chosen)} characters to {written}")
        return written

    def load(self, path: str | Path | None = None) -> None:
        """Replace the kept drawings by an alphabet file's (default: the file box's path); the canvas is kept."""
        where = self.file.value if path is None else path
        loaded = load_alphabet(where)  # raises before anything changes
        names = sorted(set(loaded) | set(self.kept))
        self.kept = {name: [list(d) for d in loaded.get(name, [])] for name in names}
        self.character.options = names
        self.character.value = names[0]
        self._redraw(f"loaded {sum(len(d) for d in loaded.values())} drawings of {len(loaded)} characters "
                     f"from {where}")
        self._notify()  # the kept drawings changed

    def undo(self) -> None:
        """Remove the last stroke."""
        self.recorder.undo()
        self._redraw()
        self._notify()

    def clear(self) -> None:
        """Remove every stroke from the canvas (kept drawings stay)."""
        self.recorder.clear()
        self._redraw()
        self._notify()

    # --- events and drawing ---------------------------------------------------------------------------------------
    def _safely(self, action: Callable[[], Any]) -> None:
        """Run a button's action; an error is shown on the status line, never raised into the browser."""
        try:
            action()
        except (ValueError, OSError) as error:
            self._show(f"⚠ {error}", error=True)

    def _wire_canvas(self) -> None:
        c = self.canvas
        c.on_mouse_down(lambda x, y: self._down(x, y))
        c.on_mouse_move(lambda x, y: self._move(x, y))
        c.on_mouse_up(lambda x, y: self._up())
        c.on_mouse_out(lambda x, y: self._up())
        c.on_touch_start(lambda touches: self._touch(touches, self._down))  # the first finger draws
        c.on_touch_move(lambda touches: self._touch(touches, self._move))
        c.on_touch_end(lambda touches: self._up())
        c.on_touch_cancel(lambda touches: self._up())
        c.on_client_ready(lambda: self._redraw())

    @staticmethod
    def _touch(touches: list[tuple[float, float]], action: Callable[[float, float], None]) -> None:
        if touches:
            action(*touches[0])

    def _down(self, x: float, y: float) -> None:
        if self.recorder.press(x, y):
            self._ink()
            self.canvas.fill_circle(x, y, self.canvas.line_width / 2)

    def _move(self, x: float, y: float) -> None:
        if self.recorder.drawing:
            last = self.recorder.canvas_strokes()[-1][-1]
            if self.recorder.move(x, y):
                self._ink()
                self.canvas.stroke_line(last[0], last[1], x, y)

    def _up(self) -> None:
        if self.recorder.release():
            self._show_preview()
            self._show()
            self._notify()

    def _notify(self) -> None:
        for callback in self._callbacks:
            try:
                callback(self.strokes())
            except Exception as error:  # a notebook's callback must not break the pad
                self._show(f"⚠ the callback failed: {type(error).__name__}: {error}", error=True)

    def _ink(self) -> None:
        c = self.canvas
        c.stroke_style = c.fill_style = "black"
        c.line_width = self.pen_width * self.recorder.canvas_px / 105
        c.line_cap = c.line_join = "round"

    def _redraw(self, message: str | None = None) -> None:
        """Draw the canvas afresh from the recorder (white paper, black ink), the preview and the status."""
        from ipycanvas import hold_canvas

        with hold_canvas():
            self.canvas.clear()
            self.canvas.fill_style = "white"
            self.canvas.fill_rect(0, 0, self.recorder.canvas_px, self.recorder.canvas_px)
            self._ink()
            for stroke in self.recorder.canvas_strokes():
                self.canvas.fill_circle(stroke[0][0], stroke[0][1], self.canvas.line_width / 2)
                if len(stroke) > 1:
                    self.canvas.stroke_lines([p[:2] for p in stroke])
        self._show_preview()
        self._show(message)

    def _show_preview(self) -> None:
        self.preview.value = png_bytes(self.model_input(), PREVIEW_PX)

    def _show(self, message: str | None = None, error: bool = False) -> None:
        counts = ", ".join(f"{name}: {len(d)}" for name, d in self.kept.items())
        strokes = len(self.recorder.canvas_strokes())
        line = f"{strokes} stroke{'s' if strokes != 1 else ''} on the canvas; kept drawings: {counts}"
        colour = "#b00" if error else "#060"
        note = f"<br><span style='color:{colour}'>{html.escape(message)}</span>" if message else ""
        self.status.value = f"<span class='mlkit-drawing-status'>{line}</span>{note}"

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.widget)
