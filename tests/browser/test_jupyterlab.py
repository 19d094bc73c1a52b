"""Every notebook as a student meets it: opened in JupyterLab in headless Chromium, Run All, sliders moved.

For each notebook: open it, Run All, wait until the kernel is idle and every code cell has run, and assert that no
cell (nor any widget output) shows an error, both in the page and in the notebook JupyterLab saves. In every
notebook whose run displays widgets, every widget must render, and the α and shots sliders (found by the first
word of their description) are moved twice -- by the keyboard on the slider handle, then by typing a number into
the readout -- and each move must change the plotted image and the printed MSE / accuracy line; every other
slider is moved one keyboard step and must redraw the plot. Each slider is set back before the next is tried. A
screenshot per notebook goes to build/screenshots/, and what each move changed to build/screenshots/report-*.json
(printed at the end of the run).
"""
from __future__ import annotations

import hashlib
import json
import math
import re
import time
from pathlib import Path

import pytest

LOAD_TIMEOUT_MS = 120_000
RUN_ALL_TIMEOUT_MS = 300_000
SLIDER_TIMEOUT_S = 30.0
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
ERROR_TEXT = re.compile(r"Traceback \(most recent call last\)|^\w*(Error|Exception)\b", re.MULTILINE)
METRIC_LINE = re.compile(r"MSE|accuracy|=\s*-?\d", re.IGNORECASE)  # the printed result: MSE, accuracy, x = 1.2
MOVED_SLIDERS = ("α", "shots")  # description prefixes of the sliders every widget notebook may offer


# --- the page -----------------------------------------------------------------------------------------------

# The stored [n]: prompts were blanked (conftest.py), so a number means "ran in this session". A collapsed cell (the
# setup cell, source_hidden) shows a placeholder without its prompt number: it is left out (the cells after it use
# what it defines, so they run only if it did).
PROMPTS = """() => [...document.querySelectorAll('.jp-NotebookPanel .jp-CodeCell')]
    .filter(cell => !cell.querySelector('.jp-InputPlaceholder')
                    && cell.querySelector('.jp-InputArea-editor').textContent.trim() !== '')
    .map(cell => cell.querySelector('.jp-InputPrompt').textContent.trim())"""

RUN_FINISHED = f"""() => {{
    const prompts = ({PROMPTS})();
    const idle = document.querySelector('#jp-main-statusbar').textContent.includes('Idle');
    return idle && prompts.some(p => /\\[\\d+\\]/.test(p)) && !prompts.some(p => p.includes('*'));
}}"""

RUN_STARTED = """() => [...document.querySelectorAll('.jp-NotebookPanel .jp-InputPrompt')]
    .some(prompt => prompt.textContent.includes('*'))"""

# Outputs holding a rendered widget view (a failed one shows "Error displaying widget" instead).
RENDERED_WIDGETS = """() => [...document.querySelectorAll('.jp-NotebookPanel .jp-OutputArea-output')]
    .filter(out => out.querySelector(':scope > .jupyter-widgets')
                   && !out.textContent.includes('Error displaying widget'))
    .length"""

ERROR_OUTPUTS = """() => [...document.querySelectorAll('.jp-NotebookPanel .jp-OutputArea-output')]
    .filter(out => out.dataset.mimeType === 'application/vnd.jupyter.stderr'
                   || out.textContent.includes('Error displaying widget'))
    .map(out => out.innerText)"""

CELL_OF = "xpath=ancestor::div[contains(concat(' ', normalize-space(@class), ' '), ' jp-Cell ')][1]"

# The widget outputs of one cell: the images' sources and the printed text.
WIDGET_OUTPUT = """cell => {
    const outputs = [...cell.querySelectorAll('.widget-output .jp-OutputArea-output')];
    return {
        images: outputs.flatMap(out => [...out.querySelectorAll('img')]).map(img => img.src),
        text: outputs.filter(out => !out.querySelector('img')).map(out => out.innerText).join('\\n'),
    };
}"""


def open_notebook(page, lab: JupyterLab, name: str) -> None:
    page.goto(lab.url(f"/lab/tree/{name}?reset"))
    page.wait_for_selector(".jp-NotebookPanel .jp-Notebook .jp-Cell", timeout=LOAD_TIMEOUT_MS)
    page.locator("#jp-main-statusbar >> text=Idle").wait_for(timeout=LOAD_TIMEOUT_MS)


def run_all(page) -> float:
    """Run > Run All Cells; returns the seconds until the kernel is idle with no cell left queued."""
    start = time.perf_counter()
    page.click('#jp-MainMenu .lm-MenuBar-itemLabel:text-is("Run")')
    page.click('.lm-Menu .lm-Menu-itemLabel:text-is("Run All Cells")')
    page.wait_for_function(f"() => ({RUN_STARTED})() || ({RUN_FINISHED})()", timeout=30_000)  # the click took
    page.wait_for_function(RUN_FINISHED, timeout=RUN_ALL_TIMEOUT_MS, polling=250)
    return time.perf_counter() - start


def save(page, path: Path) -> list[dict]:
    """Save the notebook from JupyterLab (Ctrl+S) and return its cells as stored: what Run All produced."""
    before = path.stat().st_mtime_ns
    page.click(".jp-NotebookPanel .jp-Notebook")
    page.keyboard.press("Control+s")
    deadline = time.monotonic() + 30
    while path.stat().st_mtime_ns == before:
        assert time.monotonic() < deadline, f"JupyterLab did not save {path.name} within 30 s"
        time.sleep(0.2)
    time.sleep(0.5)  # the contents API writes the file in one go; let it finish before reading
    return [cell for cell in json.loads(path.read_text(encoding="utf-8"))["cells"] if cell["cell_type"] == "code"]


def stored_errors(cells: list[dict]) -> list[str]:
    return [f"{out['ename']}: {out['evalue']}" for cell in cells for out in cell["outputs"]
            if out["output_type"] == "error"]


# tqdm's notebook bar prints as "desc:  40%|####  | 1200/3000 [00:05<00:07, 250it/s]"; training closes it when done
PROGRESS_BAR = re.compile(r"\|\s*\d+/\d+ \[")


def widget_views(cells: list[dict]) -> int:
    """How many widgets the run displayed and left open (cell outputs of the widget-view type).

    The training loop's progress bars close themselves when training ends (``leave=False``), so the page no
    longer renders them: they are not counted."""
    return sum(WIDGET_VIEW in out.get("data", {}) and not PROGRESS_BAR.search("".join(out["data"].get("text/plain", "")))
               for cell in cells for out in cell["outputs"])


def page_errors(page) -> list[str]:
    return [text for text in page.evaluate(ERROR_OUTPUTS) if ERROR_TEXT.search(text) or "Error displaying" in text]


# --- the sliders --------------------------------------------------------------------------------------------

def metric(snapshot: dict) -> str:
    return " | ".join(line.strip() for line in snapshot["text"].splitlines() if METRIC_LINE.search(line))


def digest(snapshot: dict) -> str:
    return hashlib.sha1("".join(snapshot["images"]).encode()).hexdigest()[:12]


def typed_values(start: str, now: str) -> list[str]:
    """What to type into the readout after a keyboard move ``start`` -> ``now``: ten such moves further on, then
    ten back past the start (the slider clamps either into its range); in the readout's own format."""
    step = float(now) - float(start)
    targets = (float(now) + 10 * step, float(start) - 10 * step)
    if re.fullmatch(r"-?\d+", now):
        return [str(round(t)) for t in targets]
    if "e" in now.lower():
        return [f"{t:.3g}" for t in targets]
    decimals = len(now.split(".")[1]) if "." in now else 2
    return [f"{t:.{decimals}f}" for t in targets]


class Slider:
    """One ipywidgets slider in the page, the notebook cell it lives in, and that cell's widget output."""

    def __init__(self, page, element) -> None:
        self.page, self.element = page, element
        self.cell = element.locator(CELL_OF)
        self.handle, self.readout = element.locator(".noUi-handle").first, element.locator(".widget-readout")
        self.name = element.locator(".widget-label").inner_text().strip()

    def value(self) -> str:
        return self.readout.inner_text().strip()

    def numeric(self) -> bool:
        """Whether the readout shows the slider's value (a number slider, linear or log10) rather than the label
        of a SelectionSlider option (whose readout takes typing but ignores it)."""
        try:
            shown, position = float(self.value()), float(self.handle.get_attribute("aria-valuetext"))
        except (TypeError, ValueError):
            return False
        candidates = [position] + ([10 ** position] if position < 300 else [])  # a linear slider may go past 1e300
        return any(math.isclose(shown, v, rel_tol=1e-2, abs_tol=1e-9) for v in candidates)

    def output(self) -> dict:
        return self.cell.evaluate(WIDGET_OUTPUT)

    def wait_for_update(self, previous: dict, timeout: float = SLIDER_TIMEOUT_S) -> dict | None:
        """The output once its image differs from ``previous``, the kernel is idle and it holds still."""
        deadline, last = time.monotonic() + timeout, None
        while time.monotonic() < deadline:
            now = self.output()
            assert not ERROR_TEXT.search(now["text"]), f"slider {self.name!r}: the redraw failed:\n{now['text']}"
            idle = "Idle" in self.page.locator("#jp-main-statusbar").inner_text()
            if now["images"] and now["images"] != previous["images"] and idle:
                if now == last:
                    return now
                last = now
            time.sleep(0.3)
        return None

    def press(self, key: str) -> bool:
        """Focus the handle and press ``key``; True when the readout moved."""
        value = self.value()
        self.handle.focus()
        self.handle.press(key)
        deadline = time.monotonic() + 3
        while self.value() == value and time.monotonic() < deadline:
            time.sleep(0.1)
        return self.value() != value

    def by_keyboard(self, before: dict, metric_changes: bool = True) -> tuple[str, dict | None]:
        """Arrow keys on the handle (left when it sits at the right end), one step at a time until the printed
        metric changes (one step may be too small to show at the printed precision), at most three steps."""
        key = "ArrowRight" if self.press("ArrowRight") else "ArrowLeft"
        if key == "ArrowLeft":
            assert self.press(key), f"slider {self.name!r}: neither arrow key moved it"
        after, presses = self.wait_for_update(before), 1
        while (metric_changes and after is not None and metric(after) == metric(before) and presses < 3
               and self.press(key)):
            presses += 1
            after = self.wait_for_update(after)
        return f"keyboard ({presses} x {key})", after

    def type_in(self, text: str) -> bool:
        """Click the readout, replace its text with ``text``, press Enter; True when the value changed."""
        value = self.value()
        self.readout.click()
        self.page.keyboard.press("Control+A")
        self.page.keyboard.type(text)
        self.page.keyboard.press("Enter")
        deadline = time.monotonic() + 3
        while self.value() == value and time.monotonic() < deadline:
            time.sleep(0.1)
        return self.value() != value

    def by_typing(self, texts: list[str], before: dict) -> tuple[str, dict | None]:
        """Type the first of ``texts``; should the slider refuse it, or the printed metric not change (a value
        clamped at the end of the range may print the same), the next."""
        after, typed = before, []
        for text in texts:
            typed.append(text)
            if self.type_in(text):
                after = self.wait_for_update(after)
                if after is None or metric(after) != metric(before):
                    break
        return f"typing {' then '.join(map(repr, typed))} in the readout", after

    def restore(self, value: str, numeric: bool) -> None:
        """Set the slider back to ``value`` (typed when ``numeric``, else by the arrow keys) and wait for the redraw."""
        before = self.output()
        if self.value() == value:
            return
        if numeric:
            self.type_in(value)
        else:  # a SelectionSlider ignores typing: walk back with the arrow keys
            for key in ("ArrowLeft", "ArrowRight"):
                while self.value() != value and self.press(key):
                    pass
        assert self.value() == value, f"slider {self.name!r}: could not set it back to {value}"
        assert self.wait_for_update(before) is not None, f"slider {self.name!r}: no redraw back at {value}"

    def move(self, how, *args, metric_changes: bool = True) -> dict:
        """Move the slider with ``how`` (``self.by_keyboard`` / ``self.by_typing``) and assert that the plotted
        image and (with ``metric_changes``) the printed metric change; returns the before/after record."""
        self.element.scroll_into_view_if_needed()
        before, value_before = self.output(), self.value()
        assert before["images"], f"slider {self.name!r}: no plotted image in the widget output before moving it"
        if not metric_changes:
            description, after = how(*args, before, metric_changes=False)
            assert after is not None and self.value() != value_before, (
                f"slider {self.name!r}: {description} from {value_before} to {self.value()} did not redraw the plot"
            )
            return {"slider": self.name, "how": description, "value_before": value_before,
                    "value_after": self.value(), "text_before": metric(before), "text_after": metric(after),
                    "image_before": digest(before), "image_after": digest(after), "image_changed": True}
        assert metric(before), f"slider {self.name!r}: no printed result (MSE, accuracy, x = ...): {before['text']!r}"
        description, after = how(*args, before)
        value_after = self.value()
        assert value_after != value_before, f"slider {self.name!r}: {description} left the value at {value_before}"
        assert after is not None, (
            f"slider {self.name!r} moved by {description} from {value_before} to {value_after}, but the plotted "
            f"image did not change within {SLIDER_TIMEOUT_S:.0f} s (printed: {metric(self.output())!r})"
        )
        assert metric(after) != metric(before), (
            f"slider {self.name!r} moved by {description} from {value_before} to {value_after}: the image changed, "
            f"but the printed metric stayed {metric(before)!r}"
        )
        return {
            "slider": self.name, "how": description, "value_before": value_before, "value_after": value_after,
            "text_before": metric(before), "text_after": metric(after),
            "image_before": digest(before), "image_after": digest(after), "image_changed": True,
        }


def check_sliders(page, notebook: str) -> tuple[int, list[dict]]:
    sliders = page.locator(".jp-NotebookPanel .widget-hslider")
    count = sliders.count()
    assert count > 0, f"{notebook} uses widgets, but no slider rendered after Run All"
    moves = []
    for index in range(count):
        slider = sliders.nth(index)
        assert slider.is_visible(), f"{notebook}: slider {index} is in the page but not visible"
        slider = Slider(page, slider)
        if slider.name.lower().startswith(MOVED_SLIDERS):  # both ways; the plot and the printed metric change
            # numeric at both ends of the move: a SelectionSlider's option can pass for a number once (options 1
            # and 5: the option 1 sits at position 0, and 10 ** 0 == 1), hardly twice
            numeric = slider.numeric()
            keyboard = slider.move(slider.by_keyboard)
            moves.append(keyboard)
            numeric = numeric and slider.numeric()
            if numeric:
                texts = typed_values(keyboard["value_before"], keyboard["value_after"])
                moves.append(slider.move(slider.by_typing, texts))
            else:  # a SelectionSlider: its readout only shows the chosen option
                moves.append({"slider": slider.name, "how": "typing skipped: the readout of a selection slider "
                              "is not editable", "value_before": keyboard["value_after"], "value_after": "",
                              "text_before": "", "text_after": "", "image_changed": False})
        else:  # any other slider: one keyboard step redraws the plot
            numeric = slider.numeric()
            keyboard = slider.move(slider.by_keyboard, metric_changes=False)
            moves.append(keyboard)
            numeric = numeric and slider.numeric()
        slider.restore(keyboard["value_before"], numeric)  # the next slider is tried from the notebook's defaults
    return count, moves


# --- the test -----------------------------------------------------------------------------------------------

def test_notebook_runs_in_jupyterlab(
    notebook: Path, browser_context, lab: JupyterLab, screenshots: Path, browser_report: dict
) -> None:
    """``notebook`` comes from tests/browser/conftest.py: every numbered notebook, in order."""
    page = browser_context.new_page()
    try:
        start = time.perf_counter()
        open_notebook(page, lab, notebook.name)
        opened = time.perf_counter()
        seconds = run_all(page)
        shown = page_errors(page)
        assert not shown, f"{notebook.name}: error output after Run All:\n" + "\n\n".join(shown)
        unrun = [i for i, prompt in enumerate(page.evaluate(PROMPTS)) if not re.search(r"\[\d+\]", prompt)]
        assert not unrun, f"{notebook.name}: code cells {unrun} (0-based) did not run: an earlier cell failed"
        cells = save(page, lab.root_dir / notebook.name)
        assert not stored_errors(cells), f"{notebook.name}: error outputs after Run All: {stored_errors(cells)}"
        widgets = widget_views(cells)
        rendered = page.evaluate(RENDERED_WIDGETS)
        assert rendered >= widgets, f"{notebook.name}: {widgets} widget(s) displayed, only {rendered} rendered"
        count, moves = check_sliders(page, notebook.name) if widgets else (0, [])
        if notebook.name.startswith("01_sine"):  # the sine explorers: both sliders of the issue
            moved = {p for p in MOVED_SLIDERS for m in moves if m["slider"].lower().startswith(p)}
            assert moved == set(MOVED_SLIDERS), f"{notebook.name} must offer an α and a shots slider, moved {moved}"
        shown = page_errors(page)
        assert not shown, f"{notebook.name}: error output after moving sliders:\n" + "\n\n".join(shown)
        screenshot = screenshots / f"{notebook.stem}.png"
        page.screenshot(path=str(screenshot))
        browser_report[notebook.name] = {
            "open_s": round(opened - start, 1), "run_all_s": round(seconds, 1),
            "total_s": round(time.perf_counter() - start, 1), "widgets": widgets, "sliders": count, "moves": moves,
            "screenshot": str(screenshot.relative_to(screenshots.parents[1])),
        }
    except BaseException:
        page.screenshot(path=str(screenshots / f"{notebook.stem}-failure.png"))
        raise
    finally:
        page.close()
        lab.shutdown_kernels()


# --- a student version: the student's own code, checked in the page ------------------------------------------

STUDENT_NOTEBOOK = "01_sine_regression"  # its first exercise is `inner_step`, checked in the cell after it
CELL_OUTPUT = """cell => [...cell.querySelectorAll('.jp-OutputArea-output')].map(out => out.innerText).join('\\n')"""


def cell_at(page, index: int):
    return page.locator(".jp-NotebookPanel .jp-Notebook .jp-Cell").nth(index)


def run_cell(page, index: int, timeout_s: float = 120) -> str:
    """Select cell ``index``, run it (Shift+Enter) and return its output text once the kernel is idle again."""
    cell = cell_at(page, index)
    cell.scroll_into_view_if_needed()
    cell.locator(".jp-InputPrompt").click()
    page.keyboard.press("Shift+Enter")
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        prompt = cell.locator(".jp-InputPrompt").inner_text()
        if re.search(r"\[\d+\]", prompt) and "Idle" in page.locator("#jp-main-statusbar").inner_text():
            return cell.evaluate(CELL_OUTPUT)
        time.sleep(0.25)
    raise AssertionError(f"cell {index} did not finish within {timeout_s:.0f} s")


def test_a_student_version_checks_what_the_student_types(browser_context, lab: JupyterLab, screenshots: Path) -> None:
    """``make student``'s version of notebook 01 in JupyterLab: the check of the stub says it is not written; the
    student types the inner step into the cell, runs it, runs the check again, and the page shows it passed."""
    import nbformat

    from mlkit.build import to_student

    teacher = nbformat.read(lab.root_dir / f"{STUDENT_NOTEBOOK}.ipynb", as_version=4)
    book = nbformat.from_dict(teacher)
    to_student(book)
    name = f"student_{STUDENT_NOTEBOOK}.ipynb"
    nbformat.write(book, lab.root_dir / name)
    check = next(i for i, c in enumerate(book.cells) if c.source.strip() == 'exercises.check("inner_step")')
    exercise = check - 1
    assert "def inner_step" in book.cells[exercise].source and book.cells[exercise].source.rstrip().endswith("...")
    page = browser_context.new_page()
    try:
        open_notebook(page, lab, name)
        for index, cell in enumerate(book.cells[:check]):
            if cell.cell_type == "code":
                assert not ERROR_TEXT.search(run_cell(page, index)), f"{name}: cell {index} failed"
        before = run_cell(page, check)
        assert "✗ inner_step: not yet" in before and "still the stub" in before, before
        editor = cell_at(page, exercise).locator(".jp-InputArea-editor .cm-content")
        editor.click()
        page.keyboard.press("Control+a")
        solution = teacher.cells[[c.id for c in teacher.cells].index(book.cells[exercise].id)].source
        typed = "\n".join(line for line in solution.splitlines() if "SOLUTION" not in line)  # what a student types
        page.keyboard.insert_text(typed)
        run_cell(page, exercise)
        after = run_cell(page, check)
        assert after.strip() == "✓ inner_step: passed", after
        page.screenshot(path=str(screenshots / f"student_{STUDENT_NOTEBOOK}.png"))
    except BaseException:
        page.screenshot(path=str(screenshots / f"student_{STUDENT_NOTEBOOK}-failure.png"))
        raise
    finally:
        page.close()
        lab.shutdown_kernels()
