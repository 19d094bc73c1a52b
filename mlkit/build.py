"""Execute the notebooks headless (papermill) and render them, for ``make run``, ``make notebooks`` and
``make student``.

    python -m mlkit.build run --out build      # executed copies + HTML in build/, and build/index.html
    python -m mlkit.build store                # re-execute in place: the stored outputs nbval compares
    python -m mlkit.build student --out DIR    # output-free copies for a class
"""
from __future__ import annotations

import argparse
import html
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"


def notebooks() -> list[Path]:
    """The numbered notebooks, in order."""
    return sorted(p for p in NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))


def execute(source: Path, target: Path, parameters: dict | None = None) -> float:
    """Run ``source`` with papermill (kernel python3, cwd notebooks/) into ``target``; returns seconds."""
    import papermill

    start = time.perf_counter()
    papermill.execute_notebook(
        str(source), str(target), parameters=parameters or {}, kernel_name="python3", cwd=str(NOTEBOOKS),
        progress_bar=False,
    )
    return time.perf_counter() - start


def to_html(notebook: Path) -> Path:
    """An HTML rendering with embedded images beside the notebook."""
    import nbformat
    from nbconvert import HTMLExporter

    body, _ = HTMLExporter().from_notebook_node(nbformat.read(notebook, as_version=4))
    target = notebook.with_suffix(".html")
    target.write_text(body, encoding="utf-8")
    return target


def write_index(out: Path, rows: list[tuple[str, float]]) -> Path:
    """``out/index.html`` linking every rendered notebook in order, with its run time."""
    items = "\n".join(
        f'<li><a href="{html.escape(name)}.html">{html.escape(name)}</a> '
        f'(<a href="{html.escape(name)}.ipynb">notebook</a>, {seconds:.0f} s)</li>'
        for name, seconds in rows
    )
    page = f"<!doctype html><meta charset=utf-8><title>mlkit notebooks</title>\n<h1>mlkit notebooks</h1>\n<ol>\n{items}\n</ol>\n"
    (out / "index.html").write_text(page, encoding="utf-8")
    return out / "index.html"


def run(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    rows = []
    for nb in notebooks():
        target = out / nb.name
        seconds = execute(nb, target)
        to_html(target)
        rows.append((nb.stem, seconds))
        print(f"{nb.name}: {seconds:.0f} s -> {target.with_suffix('.html')}", flush=True)
    print(f"index: {write_index(out, rows)}")


def store() -> None:
    for nb in notebooks():
        seconds = execute(nb, nb)
        print(f"{nb.name}: re-executed in place in {seconds:.0f} s", flush=True)


def student(out: Path) -> None:
    import nbformat

    out.mkdir(parents=True, exist_ok=True)
    for nb in notebooks():
        book = nbformat.read(nb, as_version=4)
        for cell in book.cells:
            if cell.cell_type == "code":
                cell.outputs, cell.execution_count = [], None
            cell.metadata.pop("papermill", None)
            cell.metadata.pop("execution", None)
        book.metadata.pop("papermill", None)
        nbformat.write(book, out / nb.name)
        print(f"{nb.name} -> {out / nb.name}")


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m mlkit.build", description=__doc__.splitlines()[0])
    parser.add_argument("action", choices=["run", "store", "student"])
    parser.add_argument("--out", default="build")
    args = parser.parse_args()
    {"run": lambda: run(Path(args.out)), "store": store, "student": lambda: student(Path(args.out))}[args.action]()


if __name__ == "__main__":
    main()
