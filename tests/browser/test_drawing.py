"""Notebook 09 in JupyterLab: a student draws on the pad with the mouse and the model answers on the page.

Run All, then, with the mouse of a headless Chromium (``tests/draw_example.py``'s jittered paths): three clearly
different characters on the pad (a loop, a cross, a zigzag), each kept once; then a test drawing of the cross, stroke
by stroke. The pad's status line must count the strokes and the kept drawings, the live panel must answer after every
stroke and its final answer must be the cross's character; the pad saves the alphabet to a file and loads it back.
The time from releasing the mouse to the answer on the page is measured for every stroke and written to the browser
report (``build/screenshots/report-*.json``), not asserted: it depends on the machine's load.
"""
from __future__ import annotations

import importlib.util
import time
from pathlib import Path

import numpy as np


def _jupyterlab_helpers():
    """tests/browser/test_jupyterlab.py, loaded by path (pytest imports test files with --import-mode=importlib, so
    they are not on sys.path): its page helpers open a notebook and Run All the same way here."""
    spec = importlib.util.spec_from_file_location("browser_jupyterlab_helpers", Path(__file__).with_name(
        "test_jupyterlab.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_helpers = _jupyterlab_helpers()
ERROR_TEXT, open_notebook, page_errors, run_all = (_helpers.ERROR_TEXT, _helpers.open_notebook, _helpers.page_errors,
                                                   _helpers.run_all)

NOTEBOOK = "09_your_alphabet.ipynb"
ANSWER_TIMEOUT_S = 30.0


def panel_text(page) -> str:
    return page.locator(".mlkit-alphabet-live").last.inner_text()


def wait_for_panel(page, text: str, timeout_s: float = ANSWER_TIMEOUT_S) -> str:
    deadline = time.monotonic() + timeout_s
    shown = ""
    while time.monotonic() < deadline:
        shown = panel_text(page)
        if text in shown:
            return shown
        time.sleep(0.02)
    raise AssertionError(f"the live panel did not show {text!r} within {timeout_s:.0f} s; it shows {shown!r}")


def click(page, label: str) -> None:
    page.locator(".jp-OutputArea button", has_text=label).first.click()


def test_09_drawing_on_the_pad_gets_the_right_answer(browser_context, lab: JupyterLab, screenshots: Path,
                                                  browser_report: dict) -> None:
    from draw_example import TEMPLATES, draw_on_canvas, human_drawing, trace_on_canvas, wait_for_status
    from mlkit.tasks import load_alphabet

    page = browser_context.new_page()
    try:
        start = time.perf_counter()
        open_notebook(page, lab, NOTEBOOK)
        opened = time.perf_counter()
        run_all_s = run_all(page)
        assert not page_errors(page), page_errors(page)
        canvas = page.locator(".jp-OutputArea canvas").first
        canvas.scroll_into_view_if_needed()
        width = int(canvas.evaluate("c => c.width"))
        wait_for_status(page, "0 strokes on the canvas")
        assert "Draw something first" in panel_text(page)
        rng = np.random.default_rng(2024)
        shapes = {"character01": "loop", "character02": "cross", "character03": "zigzag"}
        for name in shapes:  # one drawing of each, kept: the pad moves on to the next character itself
            strokes = human_drawing(TEMPLATES[name], rng, width, size=(0.95, 1.15))
            draw_on_canvas(page, canvas, strokes)
            count = len(strokes)
            wait_for_status(page, f"{count} stroke{'s' if count != 1 else ''} on the canvas")
            click(page, "keep")
            wait_for_status(page, f"{name}: 1")
        status = wait_for_status(page, "0 strokes on the canvas")
        assert "character01: 1, character02: 1, character03: 1, character04: 0" in status, status
        wait_for_panel(page, "Draw something first")

        test = human_drawing(TEMPLATES["character02"], rng, width, size=(0.95, 1.15))  # the cross, two strokes
        seconds = []
        for k, stroke in enumerate(test, start=1):
            trace_on_canvas(page, canvas, stroke)
            time.sleep(0.5)  # the kernel has handled the moves; now time the release alone
            released = time.perf_counter()
            page.mouse.up()
            shown = wait_for_panel(page, f"After {k} stroke")
            seconds.append(round(time.perf_counter() - released, 3))
        assert not ERROR_TEXT.search(shown), shown
        answer = page.locator(".mlkit-alphabet-answer").last.inner_text().strip()
        assert answer == "character02", f"the cross was answered as {answer!r}:\n{shown}"
        assert "your nearest_prototype: character02 (agrees)" in shown, shown
        status = wait_for_status(page, "2 strokes on the canvas")
        page.locator(".mlkit-alphabet-live").last.scroll_into_view_if_needed()
        page.screenshot(path=str(screenshots / "09_your_alphabet-drawing.png"))

        saved = lab.root_dir / "my_alphabet.zip"  # the pad's file box: relative to the notebook's folder
        saved.unlink(missing_ok=True)
        click(page, "save")
        wait_for_status(page, "saved 3 drawings of 3 characters")
        kept = load_alphabet(saved)
        assert [len(kept[n]) for n in shapes] == [1, 1, 1]
        assert [len(kept[n][0]) for n in shapes] == [1, 2, 1]  # a loop, a cross of two strokes, a zigzag
        click(page, "load")
        wait_for_status(page, "loaded 3 drawings of 3 characters")
        assert "2 strokes on the canvas" in wait_for_status(page, "character01: 1, character02: 1, character03: 1")
        assert not page_errors(page), page_errors(page)
        screenshot = screenshots / "09_your_alphabet-drawing.png"
        browser_report[f"{NOTEBOOK} drawing"] = {  # the keys every entry has (tests/browser_report.py), then ours
            "open_s": round(opened - start, 1), "run_all_s": round(run_all_s, 1),
            "total_s": round(time.perf_counter() - start, 1), "widgets": 0, "sliders": 0, "moves": [],
            "screenshot": str(screenshot.relative_to(screenshots.parents[1])),
            "drawn": "3 characters kept (loop, cross, zigzag), then a test cross of 2 strokes",
            "answer": answer, "stroke_to_answer_s": seconds, "status": status,
        }
        print(f"\nnotebook 09: mouse released -> answer on the page: {seconds} s per stroke")
    except BaseException:
        page.screenshot(path=str(screenshots / "09_your_alphabet-drawing-failure.png"))
        raise
    finally:
        page.close()
        lab.shutdown_kernels()
