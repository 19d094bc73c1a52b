"""Every notebook in notebooks/ keeps the project's conventions, checked on the stored file (fast, no kernel):

a first markdown cell that says how long quick and full mode take; a ``parameters`` cell with typed, commented
``full`` and ``seed``; a third, collapsed cell validating them; graded exercises with a check cell each; closing
questions with the answers in the teacher version; stored outputs from one clean top-to-bottom run; no error output;
no machine path; kernel ``python3``; the ``nbval-ignore-output`` tag only on widget or timing cells, each with a plain
cell beside it, and nbval markers as tags, never as comments a student reads. Two papermill checks start a kernel for notebook 00 only: a bad ``seed`` stops the run with a message
naming it, and papermill names an unknown parameter.

Strict nbval over the stored outputs runs separately (``make test``: ``pytest --nbval notebooks``).
"""
from __future__ import annotations

import ast
import json
import logging
import re
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
WIDGET_CODE = re.compile(r"\binteract\w*\(|ipywidgets|mlkit\.widgets|from mlkit import [^\n]*\bwidgets\b|\bwidgets\.")
TIMING_CODE = re.compile(r"perf_counter|time\.time\(|%%?timeit|%%?time\b|\bseconds\b|elapsed|wall")
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"  # the stored output of a cell that shows a widget
MACHINE_PATH = re.compile(r"(/work/|/tmp/|/root/|/home/|/Users/|[A-Z]:\\\\Users)")
MODE_TIME = r"\b{mode}\b[\s\S]{{0,250}}?\b\d+(\.\d+)?\s*(s|sec|seconds?|min|minutes?|h|hours?)\b"

notebook_params = pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])


def read(path: Path) -> nbformat.NotebookNode:
    return nbformat.read(path, as_version=4)


def code_cells(book: nbformat.NotebookNode) -> list[nbformat.NotebookNode]:
    return [cell for cell in book.cells if cell.cell_type == "code" and cell.source.strip()]


def ignored(cell: nbformat.NotebookNode) -> bool:
    """nbval leaves this cell's outputs uncompared (it still runs): the ``nbval-ignore-output`` cell tag."""
    return cell.cell_type == "code" and "nbval-ignore-output" in cell.metadata.get("tags", [])


def output_text(output: dict) -> str:
    parts = [output.get("text", ""), output.get("evalue", ""), *output.get("traceback", [])]
    parts += [value for key, value in output.get("data", {}).items() if key.startswith("text/") or key.endswith("json")]
    return "\n".join(p if isinstance(p, str) else json.dumps(p) for p in parts)


def widget_names(book: nbformat.NotebookNode) -> set[str]:
    """The names a notebook imports from ipywidgets or mlkit.widgets (its explorers)."""
    names = set()
    for cell in code_cells(book):
        try:
            tree = ast.parse(cell.source)
        except SyntaxError:  # IPython magics
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and re.match(r"(ipywidgets|mlkit\.widgets)\b", node.module or ""):
                names.update(alias.asname or alias.name for alias in node.names)
    return names


def is_widget_cell(cell: nbformat.NotebookNode, explorers: set[str]) -> bool:
    """Shows a widget: uses ipywidgets / interact, calls an imported explorer, or stored a widget view."""
    calls = set(re.findall(r"\b([A-Za-z_]\w*)\s*\(", cell.source))
    return bool(WIDGET_CODE.search(cell.source) or calls & explorers
                or any(WIDGET_VIEW in out.get("data", {}) for out in cell.get("outputs", [])))


def test_there_are_notebooks() -> None:
    assert NOTEBOOKS, "notebooks/ holds no NN_topic.ipynb notebook"


@notebook_params
def test_first_cell_says_what_it_teaches_and_how_long_each_mode_takes(path: Path) -> None:
    first = read(path).cells[0]
    assert first.cell_type == "markdown" and first.source.lstrip().startswith("#"), "cell 1: a markdown title"
    for mode in ("quick", "full"):
        assert re.search(MODE_TIME.format(mode=mode), first.source, re.IGNORECASE), (
            f"{path.name}, cell 1: say how long {mode} mode takes here (e.g. '{mode} mode about 40 s')"
        )
    assert re.search(r"\bseed\b", first.source, re.IGNORECASE), f"{path.name}, cell 1: name the notebook's seed"


@notebook_params
def test_parameters_cell_declares_typed_full_and_seed(path: Path) -> None:
    cells = read(path).cells
    tagged = [i for i, cell in enumerate(cells) if "parameters" in cell.metadata.get("tags", [])]
    assert tagged == [1], f"{path.name}: cell 2 (and only it) must be tagged 'parameters', found {tagged}"
    source = cells[1].source
    declared = {}
    for statement in ast.parse(source).body:
        assert isinstance(statement, ast.AnnAssign), (
            f"{path.name}: every parameter is typed (`name: type = value  # what it is`): line {statement.lineno}"
        )
        declared[statement.target.id] = (ast.unparse(statement.annotation), ast.literal_eval(statement.value))
    for line in source.splitlines():
        assert not line.strip() or line.lstrip().startswith("#") or "#" in line, f"{path.name}: comment {line!r}"
    assert declared.get("full") == ("bool", False), f"{path.name}: `full: bool = False` (quick mode by default)"
    assert declared.get("seed", ("",))[0] == "int", f"{path.name}: `seed: int = ...`"


@notebook_params
def test_third_cell_validates_the_parameters_with_mlkit_checks(path: Path) -> None:
    cells = read(path).cells
    third = cells[2].source
    assert cells[2].cell_type == "code" and "mlkit.checks" in third and "seed" in third, (
        f"{path.name}: cell 3 checks the parameters (seed included) with mlkit.checks"
    )


@notebook_params
def test_stored_outputs_come_from_one_clean_run_without_errors(path: Path) -> None:
    book = read(path)
    assert book.metadata.get("kernelspec", {}).get("name") == "python3", f"{path.name}: kernelspec python3"
    cells = code_cells(book)
    counts = [cell.execution_count for cell in cells]
    assert counts == list(range(1, len(cells) + 1)), (
        f"{path.name}: execution counts {counts}: store the outputs of one run from the top "
        f"(.venv/bin/python -m papermill notebooks/{path.name} notebooks/{path.name} --cwd notebooks -k python3)"
    )
    assert any(cell.outputs for cell in cells), f"{path.name}: no stored outputs"
    errors = [(i, out.ename) for i, cell in enumerate(book.cells) for out in cell.get("outputs", [])
              if out.output_type == "error"]
    assert not errors, f"{path.name}: error outputs in cells {errors}"


@notebook_params
def test_no_machine_paths_in_sources_outputs_or_metadata(path: Path) -> None:
    book = read(path)
    places = [(f"cell {i} source", cell.source) for i, cell in enumerate(book.cells)]
    places += [(f"cell {i} output", output_text(out)) for i, cell in enumerate(book.cells)
               for out in cell.get("outputs", [])]
    places.append(("notebook metadata", json.dumps(book.metadata)))
    found = [(where, match.group(0)) for where, text in places for match in [MACHINE_PATH.search(text)] if match]
    assert not found, f"{path.name}: machine paths in {found}"


@notebook_params
def test_nbval_ignore_output_only_on_widget_or_timing_cells_each_with_a_plain_twin(path: Path) -> None:
    book = read(path)
    cells, explorers = [cell for cell in book.cells if cell.cell_type == "code"], widget_names(book)
    for index, cell in enumerate(cells):
        if not ignored(cell):
            continue
        assert is_widget_cell(cell, explorers) or TIMING_CODE.search(cell.source), (
            f"{path.name}: nbval-ignore-output on a cell that is neither a widget nor a timing cell:\n{cell.source}"
        )
        neighbours = [cells[j] for j in (index - 1, index + 1) if 0 <= j < len(cells) and not ignored(cells[j])]
        called = re.search(r"\binteract\w*\(\s*([A-Za-z_][\w.]*)", cell.source)
        if called:  # interact(fn, ...): a plain cell beside it calls fn with fixed arguments
            twins = [c for c in neighbours if re.search(rf"\b{re.escape(called.group(1))}\(", c.source)]
        else:  # an explorer from mlkit.widgets: a plain cell beside it calls that module's functions
            twins = [c for c in neighbours if is_widget_cell(c, explorers)]
        assert twins, f"{path.name}: no plain cell beside this ignored one checks its numbers:\n{cell.source}"


@notebook_params
def test_nbval_markers_are_cell_tags_not_comments(path: Path) -> None:
    marked = [i for i, cell in enumerate(read(path).cells) if re.search(r"#\s*NBVAL_", cell.source)]
    assert not marked, f"{path.name}: cells {marked} carry an NBVAL comment; use the cell tag nbval-ignore-output"


# --- a course, not a report: the notebook's own flow -----------------------------------------------------

@notebook_params
def test_the_setup_cell_is_collapsed(path: Path) -> None:
    """Cell 3 (checks, imports, the exercises) is machinery: JupyterLab shows it folded (``jupyter.source_hidden``)."""
    cell = read(path).cells[2]
    assert cell.metadata.get("jupyter", {}).get("source_hidden") is True, f"{path.name}: collapse the setup cell"


@notebook_params
def test_the_student_writes_the_algorithm_and_a_check_follows(path: Path) -> None:
    from mlkit.exercises import exercise_names

    book = read(path)
    assert book.metadata.get("mlkit", {}).get("exercises") == path.stem, f"{path.name}: metadata mlkit.exercises"
    checks = [m.group(1) for cell in code_cells(book) for m in [re.match(r'exercises\.check\("(\w+)"\)', cell.source)]
              if m]
    assert checks and sorted(set(checks)) == exercise_names(path.stem), f"{path.name}: check cells {checks}"


@notebook_params
def test_it_ends_with_questions_and_the_teacher_version_holds_the_answers(path: Path) -> None:
    cells = read(path).cells
    questions = [i for i, c in enumerate(cells) if c.cell_type == "markdown" and c.source.startswith("## Questions")]
    assert questions, f"{path.name}: end with a '## Questions' section"
    items = re.findall(r"^\d+\.\s", cells[questions[-1]].source, flags=re.MULTILINE)
    assert len(items) >= 3, f"{path.name}: at least three closing questions, found {len(items)}"
    answers = [c for c in cells[questions[-1] + 1:] if "solution" in c.metadata.get("tags", [])]
    assert answers, f"{path.name}: the answers follow the questions in a cell tagged 'solution' (teacher version)"


@notebook_params
def test_students_are_not_sent_to_the_test_suite(path: Path) -> None:
    found = [i for i, c in enumerate(read(path).cells) if c.cell_type == "markdown" and re.search(r"\btests/", c.source)]
    assert not found, f"{path.name}: markdown cells {found} point at tests/, which a student cannot open from here"


def test_count_nbval_ignore_output_cells(capsys: pytest.CaptureFixture) -> None:
    counts = {path.name: sum(ignored(cell) for cell in read(path).cells) for path in NOTEBOOKS}
    with capsys.disabled():
        print("\nnbval-ignore-output cells per notebook: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    for name, count in counts.items():
        assert count <= len(read(ROOT / "notebooks" / name).cells) // 2, f"{name}: most cells unchecked by nbval"


# --- papermill: wrong parameters give clear errors -------------------------------------------------------

def first_three_cells(path: Path, target: Path) -> Path:
    """The title, parameters and validation cells of ``path``: enough to see how bad parameters are met."""
    book = read(path)
    book.cells = book.cells[:3]
    for cell in code_cells(book):
        cell.outputs, cell.execution_count = [], None
    nbformat.write(book, target)
    return target


@notebook_params
def test_papermill_sees_full_and_seed_and_names_an_unknown_parameter(
    path: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    import papermill

    with caplog.at_level(logging.WARNING, logger="papermill"):
        papermill.execute_notebook(str(path), str(tmp_path / "out.ipynb"), kernel_name="python3", prepare_only=True,
                                   parameters={"full": False, "seed": 1, "sed": 1})
    unknown = [r.getMessage() for r in caplog.records if "unknown parameter" in r.getMessage()]
    assert unknown == ["Passed unknown parameter: sed"], unknown


NOTEBOOK_00 = [p for p in NOTEBOOKS if p.name.startswith("00_")]


@pytest.mark.parametrize("value, words", [(-1, ["seed", ">= 0", "-1"]), ("three", ["seed", "integer", "three"])])
def test_papermill_with_a_bad_seed_stops_with_a_message_naming_it(value, words, tmp_path: Path) -> None:
    import papermill
    from papermill.exceptions import PapermillExecutionError

    if not NOTEBOOK_00:
        pytest.skip("notebook 00 does not exist yet")
    source = first_three_cells(NOTEBOOK_00[0], tmp_path / "head.ipynb")
    with pytest.raises(PapermillExecutionError) as raised:
        papermill.execute_notebook(str(source), str(tmp_path / "out.ipynb"), kernel_name="python3",
                                   parameters={"seed": value}, progress_bar=False, cwd=str(ROOT / "notebooks"))
    assert raised.value.ename == "ValueError"
    for word in words:
        assert word in raised.value.evalue, f"{raised.value.evalue!r} should mention {word!r}"


def sanitize(text: str) -> str:
    """``text`` as strict nbval compares it: tests/nbval_sanitize.cfg read and applied by nbval's own parser."""
    from nbval.plugin import get_sanitize_patterns

    for regex, replace in get_sanitize_patterns((ROOT / "tests" / "nbval_sanitize.cfg").read_text(encoding="utf-8")):
        text = re.sub(regex, replace, text)
    return text


def test_sanitizer_hides_rates_times_and_addresses_but_not_results() -> None:
    assert sanitize("12.5 it/s, 3 episodes/s") == "RATE, RATE"
    assert sanitize("trained in 41.2 s (wall 0.7 min), 35 ms per step") == "trained in TIME (wall TIME), TIME per step"
    assert sanitize("<Figure at 0x7f3a2b1c9d50>") == "<Figure at ADDRESS>"
    kept = "MSE = 0.123, accuracy = 45.0 %, 5 shots, 20-way, seed 3, α = 0.01"
    assert sanitize(kept) == kept


def test_sanitizer_hides_live_trained_values_marked_approximately() -> None:
    """Numbers a notebook computes from a model it trains live depend on the CPU's floating-point kernels: notebooks
    print them after "≈" (``mlkit.live.approx``), and only those are hidden from the strict comparison."""
    assert sanitize("query MSE ≈0.53 after 300 steps, ≈ 61.2 % accuracy, loss ≈-1.5e-03") == (
        "query MSE ≈LIVE after 300 steps, ≈LIVE % accuracy, loss ≈LIVE")
    assert sanitize("shipped model: accuracy 93.0 %") == "shipped model: accuracy 93.0 %"
