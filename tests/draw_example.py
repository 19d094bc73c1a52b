"""The example alphabet of notebook 09, drawn on the drawing pad in a real browser by scripted mouse moves.

Notebook 09 runs headless (nbval, papermill) on stored drawings instead of a student's: an alphabet drawn **with the
widget** (``mlkit.widgets.drawing.DrawingPad``) and saved with its **save** button, shipped as
``mlkit/data/alphabets/example.zip``. Nobody drew it by hand: this module did, by moving the mouse of a headless
Chromium (driven by the ``playwright`` package) over the pad's canvas in JupyterLab, so the file went through exactly
what a student's drawing goes through (canvas events, the stroke recorder, the keep and save buttons).

To look a little like people's drawings, every drawing of a character is its template (below) drawn with
variation: a random size (0.75-1.1 of the template's), position (up to 12 % of the canvas off centre), rotation
(up to 8 degrees), shear and aspect, a small shift per stroke, smooth wobble along each stroke and a slight tremor,
and a different pen speed (points 3-6 screen pixels apart). The six characters (``TEMPLATES``):

- ``character01`` a loop; ``character02`` a cross (two strokes); ``character03`` a zigzag (Z, one stroke);
- ``character04`` a P (a stem and a bowl); ``character05`` an R: the same P **plus one stroke**, the leg, so
  that the two differ by one stroke only;
- ``character06`` a wave with a dot above it (the dot: a stroke of one point).

Rebuild the file (one headless Chromium and a JupyterLab server on loopback, about two minutes)::

    python tests/draw_example.py --out mlkit/data/alphabets/example.zip --drawings 10 --seed 0

Chromium is Debian's (``/usr/bin/chromium`` or ``$MLKIT_CHROMIUM``), in a JupyterLab of its own
(``tests/lab_server.py``); playwright's own browser download is never used. A test tool, not part of the package
(it drives a browser): it lives beside the tests. The browser test of notebook 09 draws with the same functions (``human_drawing``, ``draw_on_canvas``).
"""
from __future__ import annotations

import argparse
import sys
import json
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from lab_server import CHROMIUM, CHROMIUM_FLAGS, JupyterLab

Path2D = np.ndarray  # one stroke of a template or drawing: [n, 2] points (u, v), fractions of the canvas, v down

EXAMPLE = Path(__file__).resolve().parents[1] / "mlkit" / "data" / "alphabets" / "example.zip"


def _arc(cx: float, cy: float, rx: float, ry: float, start: float, end: float, n: int = 24) -> Path2D:
    """Points of an elliptic arc from angle ``start`` to ``end`` (degrees; 0 = right, 90 = down on the screen)."""
    angles = np.radians(np.linspace(start, end, n))
    return np.stack([cx + rx * np.cos(angles), cy + ry * np.sin(angles)], 1)


def _line(*points: tuple[float, float]) -> Path2D:
    return np.asarray(points, dtype=np.float64)


def _wave() -> Path2D:
    u = np.linspace(0.08, 0.92, 30)
    return np.stack([u, 0.62 - 0.16 * np.sin(2 * np.pi * (u - 0.08) / 0.84)], 1)


_P = [_line((0.3, 0.08), (0.3, 0.92)),  # the stem, top to bottom
      np.concatenate([_line((0.3, 0.08), (0.52, 0.08)), _arc(0.52, 0.29, 0.22, 0.21, -90, 90, 18),
                      _line((0.52, 0.5), (0.3, 0.5))])]  # the bowl, from the top of the stem round to its middle
TEMPLATES: dict[str, list[Path2D]] = {
    "character01": [_arc(0.5, 0.5, 0.4, 0.42, -100, 265, 36)],  # a loop
    "character02": [_line((0.5, 0.08), (0.5, 0.92)), _line((0.1, 0.45), (0.9, 0.45))],  # a cross
    "character03": [_line((0.12, 0.12), (0.88, 0.12), (0.12, 0.88), (0.88, 0.88))],  # a zigzag (Z)
    "character04": _P,  # a P
    "character05": [*_P, _line((0.42, 0.5), (0.8, 0.92))],  # an R: the P and one stroke more
    "character06": [_wave(), _line((0.5, 0.15))],  # a wave and a dot
}


def _resample(path: Path2D, spacing: float) -> Path2D:
    """``path`` with points every ``spacing`` along it (its corners kept); one point stays one point."""
    if len(path) == 1:
        return path.copy()
    out = [path[:1]]
    for a, b in zip(path[:-1], path[1:]):
        steps = max(1, int(np.ceil(np.hypot(*(b - a)) / spacing)))
        out.append(a + (b - a) * (np.arange(1, steps + 1)[:, None] / steps))
    return np.concatenate(out)


def human_drawing(template: Sequence[Path2D], rng: np.random.Generator, canvas_px: int = 280,
                  size: tuple[float, float] = (0.75, 1.1)) -> list[np.ndarray]:
    """One drawing of ``template`` as a person might make it: strokes of canvas pixels [n, 2] (x right, y down).

    The template (strokes in fractions of the canvas) gets a random size (``size`` times 0.6 of the canvas),
    position, rotation, shear and aspect, each stroke a small shift, smooth wobble and tremor; points come 3-6 screen
    pixels apart (the pen's speed). Every point stays on the canvas, 4 % away from its edges."""
    scale = rng.uniform(*size) * 0.6
    angle = np.radians(rng.uniform(-8, 8))
    shear, aspect = rng.uniform(-0.12, 0.12), rng.uniform(0.88, 1.12)
    rotate = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    linear = rotate @ np.array([[aspect, shear], [0.0, 1.0 / aspect]]) * scale
    centre = 0.5 + rng.uniform(-0.12, 0.12, 2)
    spacing = rng.uniform(3, 6) / canvas_px
    strokes = []
    for stroke in template:
        points = (stroke - 0.5) @ linear.T + centre + rng.normal(0, 0.012, 2)  # [n, 2]
        points = _resample(points, spacing)
        if len(points) > 1:
            s = np.linspace(0, 1, len(points))[:, None]
            modes = rng.normal(0, 0.008, (2, 2))  # smooth wobble: two sine modes along the stroke
            points = points + np.sin(np.pi * s) * modes[0] + np.sin(2 * np.pi * s) * modes[1]
            points = points + rng.normal(0, 0.0015, points.shape)  # tremor
        strokes.append(np.clip(points, 0.04, 0.96) * canvas_px)
    return strokes


def trace_on_canvas(page: Any, canvas: Any, stroke: np.ndarray) -> None:
    """Press the mouse of ``page`` at the first point of ``stroke`` (canvas pixels [n, 2]) on ``canvas`` (a
    playwright locator of the pad's <canvas>) and move it through the others, leaving the button down."""
    box = canvas.bounding_box()
    if box is None:
        raise RuntimeError("the drawing pad's canvas is not visible in the page")
    width = float(canvas.evaluate("c => c.width")) or box["width"]
    ratio = box["width"] / width  # page pixels per canvas pixel
    xs, ys = box["x"] + stroke[:, 0] * ratio, box["y"] + stroke[:, 1] * ratio
    page.mouse.move(float(xs[0]), float(ys[0]))
    page.mouse.down()
    for x, y in zip(xs[1:], ys[1:]):
        page.mouse.move(float(x), float(y))


def draw_on_canvas(page: Any, canvas: Any, strokes: Sequence[np.ndarray], pause_s: float = 0.0) -> None:
    """Draw ``strokes`` (canvas pixels [n, 2], as ``human_drawing`` gives them) on ``canvas`` with the mouse of
    ``page``: down at each stroke's first point, a move to every next one, up at its last (a one-point stroke is a
    click: a dot)."""
    for stroke in strokes:
        trace_on_canvas(page, canvas, stroke)
        page.mouse.up()
        if pause_s:
            time.sleep(pause_s)


def wait_for_status(page: Any, text: str, timeout_s: float = 30.0) -> str:
    """The pad's status (its counts line and the message under it) once it contains ``text``: the kernel has then
    handled every event before it."""
    deadline = time.monotonic() + timeout_s
    status = ""
    while time.monotonic() < deadline:
        status = page.locator(".mlkit-drawing-status").last.locator("xpath=..").inner_text()
        if text in status:
            return status
        time.sleep(0.1)
    raise RuntimeError(f"the pad's status line did not say {text!r} within {timeout_s:.0f} s; it says {status!r}")


PAD_CELL = """from mlkit.widgets.drawing import DrawingPad
pad = DrawingPad({characters!r}, alphabet="Example_alphabet", path={path!r})
pad"""


def draw_example(out: Path, drawings: int = 10, seed: int = 0, characters: Sequence[str] | None = None,
                 timeout_s: float = 600.0) -> Path:
    """Open a notebook with a ``DrawingPad`` in JupyterLab (headless Chromium), draw ``drawings`` drawings of every
    character of ``TEMPLATES`` (round after round: one of each character, then the next round) with ``human_drawing``
    and the mouse, keep each with the **keep** button, save with the **save** button, and copy the file to ``out``."""
    from playwright.sync_api import sync_playwright

    names = list(TEMPLATES if characters is None else characters)
    rng = np.random.default_rng(seed)
    with tempfile.TemporaryDirectory() as folder:
        root, home = Path(folder) / "notebooks", Path(folder) / "home"
        root.mkdir(), home.mkdir()
        saved = root / "example.zip"
        book = {"cells": [{"cell_type": "code", "execution_count": None, "id": "pad", "metadata": {}, "outputs": [],
                           "source": PAD_CELL.format(characters=names, path=str(saved))}],
                "metadata": {"kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"}},
                "nbformat": 4, "nbformat_minor": 5}
        (root / "pad.ipynb").write_text(json.dumps(book))
        with JupyterLab(root, home) as lab, sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS)
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(lab.url("/lab/tree/pad.ipynb?reset"))
            page.locator("#jp-main-statusbar >> text=Idle").wait_for(timeout=timeout_s * 1000)
            page.locator(".jp-Notebook .jp-Cell").first.locator(".jp-InputPrompt").click()
            page.keyboard.press("Shift+Enter")
            canvas = page.locator(".jp-OutputArea canvas").first
            canvas.wait_for(timeout=timeout_s * 1000)
            wait_for_status(page, "0 strokes on the canvas", timeout_s)
            for round_ in range(drawings):
                for name in names:
                    strokes = human_drawing(TEMPLATES[name], rng, int(canvas.evaluate("c => c.width")))
                    draw_on_canvas(page, canvas, strokes)
                    count = len(strokes)
                    wait_for_status(page, f"{count} stroke{'s' if count != 1 else ''} on the canvas", timeout_s)
                    page.locator(".jp-OutputArea button", has_text="keep").click()
                    wait_for_status(page, f"{name}: {round_ + 1}", timeout_s)
            page.locator(".jp-OutputArea button", has_text="save").click()
            deadline = time.monotonic() + timeout_s
            while not saved.is_file() and time.monotonic() < deadline:
                time.sleep(0.2)
            browser.close()
        if not saved.is_file():
            raise RuntimeError("the pad did not save the alphabet")
        out.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(saved, out)
    return out


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python tests/draw_example.py", description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=EXAMPLE, help="where to write the alphabet (zip)")
    parser.add_argument("--drawings", type=int, default=10, help="drawings of every character")
    parser.add_argument("--seed", type=int, default=0, help="seeds the variation of the drawings")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    path = draw_example(args.out, args.drawings, args.seed)
    from mlkit.tasks.stroke_files import load_alphabet

    found = load_alphabet(path)
    print(f"{path}: {sum(map(len, found.values()))} drawings of {len(found)} characters, drawn on the pad by "
          f"scripted mouse moves in {time.perf_counter() - start:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
