"""environment.yml (conda) mirrors pyproject.toml, the one source of dependencies; `pip install mlkit` pulls no test
tools (they are the ``test`` extra)."""
import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
TEST_TOOLS = ("pytest", "nbval", "playwright")


def _pip_section() -> list[str]:
    lines = [l.strip()[2:].strip() for l in (ROOT / "environment.yml").read_text().splitlines() if l.strip().startswith("- ")]
    return lines[lines.index("pip:") + 1 :]


def test_environment_yml_agrees_with_pyproject():
    pins = [l for l in _pip_section() if not l.startswith("-e ")]
    assert sorted(pins) == sorted(PROJECT["dependencies"])
    editable = [l for l in _pip_section() if l.startswith("-e ")]
    assert len(editable) == 1 and re.fullmatch(r"-e \.\[([\w,]+)\]", editable[0]), editable
    extras = re.fullmatch(r"-e \.\[([\w,]+)\]", editable[0]).group(1).split(",")
    assert sorted(extras) == sorted(PROJECT["optional-dependencies"])  # the project with every extra
    assert "torch==2.13.0" in PROJECT["dependencies"]  # an unpinned torch pulls GBs of CUDA wheels


def test_test_tools_are_an_extra_not_a_runtime_dependency():
    names = {re.split(r"[<>=!~\[; ]", d, maxsplit=1)[0].lower() for d in PROJECT["dependencies"]}
    assert not names & set(TEST_TOOLS)
    assert set(TEST_TOOLS) <= set(PROJECT["optional-dependencies"]["test"])
    assert {"torch", "numpy", "matplotlib", "scikit-learn", "ipywidgets", "jupyterlab", "papermill", "tqdm",
            "pillow"} <= names


def test_the_makefile_installs_the_extras_the_tests_use():
    makefile = (ROOT / "Makefile").read_text()
    assert re.search(r"pip install .*-e \"?\.\[test,docs\]", makefile)


def test_the_makefile_keeps_each_test_file_in_one_process():
    """strict nbval runs a notebook's cells in order in one kernel: the cells, one test each, must not be spread
    over pytest-xdist's processes (``--dist loadfile``), and ``TEST_WORKERS=0`` must still give one process."""
    command = next(line for line in (ROOT / "Makefile").read_text().splitlines() if "-m pytest tests notebooks" in line)
    assert "--dist loadfile" in command and "-n $(TEST_WORKERS)" in command, command
    assert "pytest-xdist" in PROJECT["optional-dependencies"]["test"]


def test_the_package_imports_no_test_tool():
    import ast

    found = []
    for path in (ROOT / "mlkit").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else (
                [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            found += [f"{path.relative_to(ROOT)}: {n}" for n in names if n.split(".")[0] in TEST_TOOLS]
    assert not found, found
