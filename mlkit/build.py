"""Execute the notebooks headless (papermill) and render them, for ``make run``, ``make notebooks`` and
``make student``.

    python -m mlkit.build run --out build      # executed copies + HTML (images inside) in build/, build/index.html,
                                               # and the API reference in build/api/ (mlkit/apidocs.py), linked
    python -m mlkit.build run --full           # the same at paper scale (every notebook's ``full`` parameter)
    python -m mlkit.build store                # re-execute in place: the stored outputs strict nbval compares
    python -m mlkit.build student --out DIR    # student versions: solutions replaced by stubs, no outputs

``--notebooks DIR`` takes the notebooks from another folder (default: the project's ``notebooks/``).
"""
from __future__ import annotations

import argparse
import html
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"


@dataclass
class Rendered:
    """One executed notebook, as ``build/index.html`` lists it."""

    name: str  # file stem, e.g. "01_sine_regression"
    title: str  # the first heading of the notebook
    seconds: float  # wall time of its headless run
    failed: bool = False


def notebooks(folder: Path = NOTEBOOKS) -> list[Path]:
    """The numbered notebooks (``NN_topic.ipynb``), in order."""
    return sorted(folder.glob("[0-9][0-9]_*.ipynb"))


def title(notebook: Path) -> str:
    """The first markdown heading of ``notebook`` (its file stem when it has none)."""
    import nbformat

    for cell in nbformat.read(notebook, as_version=4).cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("#"):
                    return line.lstrip("#").strip()
    return notebook.stem


def _relative(path: Path) -> str:
    """``path`` relative to the project root where it lies inside it: no machine paths in stored notebooks."""
    try:
        return str(path.resolve().relative_to(ROOT))
    except ValueError:
        return path.name


def execute(source: Path, target: Path, parameters: dict | None = None, progress: bool = False) -> float:
    """Run ``source`` with papermill (kernel python3, working directory: the notebook's folder) into ``target``;
    returns the seconds it took. ``progress`` shows papermill's bar of executed cells on stderr. Raises papermill's
    ``PapermillExecutionError`` when a cell fails (``target`` then holds the notebook up to the failing cell, error
    included)."""
    import nbformat
    import papermill

    from mlkit.widgets import HEADLESS_ENV

    ours = HEADLESS_ENV not in os.environ  # the kernel inherits it: explorers draw once into the cell (static HTML)
    os.environ.setdefault(HEADLESS_ENV, "1")
    start = time.perf_counter()
    try:
        papermill.execute_notebook(
            str(source), str(target), parameters=parameters or {}, kernel_name="python3",
            cwd=str(source.resolve().parent), progress_bar=progress,
        )
    finally:
        if ours:
            del os.environ[HEADLESS_ENV]
        if target.exists():  # papermill records the absolute paths it was given
            book = nbformat.read(target, as_version=4)
            record = book.metadata.get("papermill", {})
            record.update(input_path=_relative(source), output_path=_relative(target))
            nbformat.write(book, target)
    return time.perf_counter() - start


def to_html(notebook: Path) -> Path:
    """An HTML rendering with embedded images beside the notebook (``NAME.html``)."""
    import nbformat
    from nbconvert import HTMLExporter

    body, _ = HTMLExporter().from_notebook_node(nbformat.read(notebook, as_version=4))
    target = notebook.with_suffix(".html")
    target.write_text(body, encoding="utf-8")
    return target


def write_index(out: Path, rows: list[Rendered], api: str | None = None) -> Path:
    """``out/index.html``: every rendered notebook in the order given, with its title and run time, and a link to
    the API reference at ``api`` (a path relative to ``out``) when given."""
    items = "\n".join(
        f'<li><a href="{html.escape(row.name)}.html">{html.escape(row.name)}</a>: {html.escape(row.title)} '
        f'(<a href="{html.escape(row.name)}.ipynb">notebook</a>, '
        f'{"FAILED after " if row.failed else ""}{row.seconds:.0f} s)</li>'
        for row in rows
    )
    total = sum(row.seconds for row in rows)
    reference = (f'<p><a href="{html.escape(api)}">API reference</a>: every module, class and function of the '
                 "package, from its docstrings (paper, equation, tensor shapes).</p>\n") if api else ""
    page = (
        "<!doctype html>\n<meta charset=utf-8>\n<title>mlkit notebooks</title>\n<h1>mlkit notebooks</h1>\n"
        f"<p>Executed headless with papermill, {total:.0f} s in all.</p>\n<ol>\n{items}\n</ol>\n{reference}"
    )
    (out / "index.html").write_text(page, encoding="utf-8")
    return out / "index.html"


def run(out: Path, sources: list[Path], parameters: dict | None = None, api: bool = True) -> list[Rendered]:
    """Execute each notebook into ``out/`` and render it; a failing notebook is rendered too (with its error)
    and the others still run. With ``api``, the API reference is written to ``out/api/`` and linked."""
    from papermill.exceptions import PapermillExecutionError

    out.mkdir(parents=True, exist_ok=True)
    rows = []
    for source in sources:
        target = out / source.name
        start, failed = time.perf_counter(), False
        print(f"{source.name}: running (cells executed so far below)", flush=True)
        try:
            execute(source, target, parameters, progress=True)
        except PapermillExecutionError as error:
            failed = True
            print(f"{source.name}: FAILED in cell {error.exec_count}: {error.ename}: {error.evalue}", flush=True)
        seconds = time.perf_counter() - start
        to_html(target)
        rows.append(Rendered(source.stem, title(source), seconds, failed))
        if not failed:
            print(f"{source.name}: {seconds:.0f} s -> {target.with_suffix('.html')}", flush=True)
    link = None
    if api:
        from mlkit.apidocs import write_api_reference

        link = write_api_reference(out / "api").relative_to(out).as_posix()
        print(f"API reference: {out / link}", flush=True)
    print(f"index: {write_index(out, rows, link)} ({sum(r.seconds for r in rows):.0f} s in all)")
    return rows


def store(sources: list[Path]) -> None:
    """Re-execute each notebook in place with its defaults: the outputs strict nbval compares against."""
    for source in sources:
        seconds = execute(source, source)
        print(f"{source.name}: re-executed in place in {seconds:.0f} s", flush=True)


def strip(book) -> None:
    """Remove every output, execution count, stored widget state and run record from a notebook (in place)."""
    book.cells = [cell for cell in book.cells if "injected-parameters" not in cell.metadata.get("tags", [])]
    for cell in book.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
        for key in ("papermill", "execution"):
            cell.metadata.pop(key, None)
    for key in ("papermill", "widgets"):
        book.metadata.pop(key, None)


SOLUTION_TAG = "solution"  # a cell only the teacher version has (e.g. the answers to the closing questions)


def student_source(source: str) -> str:
    """A code cell as the student gets it: otter-grader's solution markers replaced by stubs (otter assign's own
    rule: a ``# BEGIN SOLUTION`` ... ``# END SOLUTION`` block becomes ``...`` at its indentation, a line ending in
    ``# SOLUTION`` keeps only what is left of its ``=``)."""
    from otter.assign.solutions import replace_solutions

    return "\n".join(replace_solutions(source.split("\n"), "python"))


def to_student(book) -> None:
    """The student version of a teacher notebook (in place): no outputs, no solution cells, stubs for solutions;
    every exercise check cell stays."""
    strip(book)
    book.cells = [cell for cell in book.cells if SOLUTION_TAG not in cell.metadata.get("tags", [])]
    for cell in book.cells:
        if cell.cell_type == "code":
            cell.source = student_source(cell.source)


def student(out: Path, sources: list[Path]) -> list[Path]:
    """Student versions of the notebooks in ``out/``: what a class gets (``make student``)."""
    import nbformat

    out.mkdir(parents=True, exist_ok=True)
    written = []
    for source in sources:
        book = nbformat.read(source, as_version=4)
        to_student(book)
        nbformat.write(book, out / source.name)
        written.append(out / source.name)
        print(f"{source.name} -> {out / source.name}")
    return written


def main(argv: list[str] | None = None) -> int:
    """``python -m mlkit.build {run,store,student} ...``; returns the exit status (1: a notebook failed)."""
    parser = argparse.ArgumentParser(prog="python -m mlkit.build", description=__doc__.splitlines()[0])
    parser.add_argument("action", choices=["run", "store", "student"])
    parser.add_argument("--out", type=Path, default=None, help="output folder (run: build, student: build/student)")
    parser.add_argument("--notebooks", type=Path, default=NOTEBOOKS, help="folder of NN_topic.ipynb notebooks")
    parser.add_argument("--full", action="store_true", help="run: paper-scale runs (parameter full=True)")
    parser.add_argument("--no-api", action="store_true", help="run: skip the API reference (build/api)")
    args = parser.parse_args(argv)
    sources = notebooks(args.notebooks)
    if not sources:
        parser.error(f"no NN_topic.ipynb notebooks in {args.notebooks}")
    if args.action == "run":
        start = time.perf_counter()
        rows = run(args.out or Path("build"), sources, {"full": True} if args.full else None, api=not args.no_api)
        print(f"make run: {time.perf_counter() - start:.0f} s wall")
        return 1 if any(row.failed for row in rows) else 0
    if args.action == "store":
        store(sources)
    else:
        student(args.out or Path("build") / "student", sources)
    return 0


if __name__ == "__main__":
    sys.exit(main())
