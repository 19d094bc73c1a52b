"""The wheel, what `pip install mlkit` gets: built from a copy of the sources, it must carry the shipped models,
results and Omniglot subsets, declare no test tool as a runtime dependency, and work once installed into a fresh
virtual environment outside the repository (the command line on a shipped checkpoint, the Omniglot loader).

The fresh environment gets the wheel with ``--no-deps``; its third-party packages (torch...) are the test
environment's, reached through a ``.pth`` file, so the test proves what the wheel holds without reinstalling torch.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TEST_TOOLS = ("pytest", "nbval", "playwright")
SHIPPED = ("checkpoints", "results", "data", "exercises/otter")  # folders of mlkit/ whose every file must be in the wheel


def _run(command: list[str], cwd: Path, timeout: int = 300) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    done = subprocess.run(command, cwd=cwd, env={**env, "OMP_NUM_THREADS": "1"}, capture_output=True, text=True,
                          timeout=timeout)
    assert done.returncode == 0, f"{' '.join(command)}\n{done.stdout}\n{done.stderr}"
    return done


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """mlkit's wheel, built offline (no build isolation: setuptools of the test extra) from a copy of the sources,
    so no build/ or egg-info lands in the repository."""
    work = tmp_path_factory.mktemp("wheel")
    source = work / "source"
    shutil.copytree(ROOT / "mlkit", source / "mlkit", ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    _run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation", "--no-index",
          "--wheel-dir", str(work / "dist"), str(source)], cwd=work)
    (found,) = (work / "dist").glob("mlkit-*.whl")
    return found


def _requirement_name(requirement: str) -> str:
    return re.split(r"[<>=!~\[; (]", requirement, maxsplit=1)[0].lower()


def test_the_wheel_carries_the_shipped_files_and_no_test_tool(wheel):
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        metadata = archive.read(next(n for n in names if n.endswith(".dist-info/METADATA"))).decode()
    shipped = {p.relative_to(ROOT).as_posix() for folder in SHIPPED for p in (ROOT / "mlkit" / folder).rglob("*")
               if p.is_file() and "__pycache__" not in p.parts and not p.name.startswith(".")}  # .keep: a placeholder
    assert {"mlkit/checkpoints/sine-maml.pt", "mlkit/data/omniglot/SHA256SUMS"} <= shipped
    assert shipped <= names, f"missing from the wheel: {sorted(shipped - names)} (pyproject.toml package-data)"
    assert {"mlkit/py.typed", "mlkit/meta/maml.py", "mlkit/tasks/sampler.py"} <= names
    assert not [n for n in names if n.startswith(("tests/", "notebooks/", "lessons/"))]

    requires = [line.split(":", 1)[1].strip() for line in metadata.splitlines() if line.startswith("Requires-Dist:")]
    runtime = [r for r in requires if "extra ==" not in r]
    assert not [r for r in runtime if _requirement_name(r) in TEST_TOOLS], runtime
    assert "torch==2.13.0" in [r.replace(" ", "") for r in runtime]
    test_extra = {_requirement_name(r) for r in requires if re.search(r"extra\s*==\s*[\"']test[\"']", r)}
    assert set(TEST_TOOLS) <= test_extra, test_extra


def _fresh_venv(where: Path) -> tuple[Path, Path]:
    """A new virtual environment (no pip, no packages) that sees this environment's third-party packages through a
    ``.pth`` file; returns (its python, its site-packages)."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(where)], check=True, timeout=120)
    python = where / "bin" / "python"
    site = Path(subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                               check=True, capture_output=True, text=True).stdout.strip())
    (site / "outer_packages.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return python, site


def test_the_installed_wheel_works_outside_the_repository(wheel, tmp_path):
    python, site = _fresh_venv(tmp_path / "venv")
    _run([sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet", "--no-deps", "--no-index",
          str(wheel)], cwd=tmp_path)
    outside = tmp_path / "elsewhere"
    outside.mkdir()

    where = _run([str(python), "-c", "import mlkit; print(mlkit.__file__)"], cwd=outside).stdout.strip()
    assert Path(where).is_relative_to(site) and not Path(where).is_relative_to(ROOT), where

    checkpoint = site / "mlkit" / "checkpoints" / "sine-maml.pt"
    args = ["eval", str(checkpoint), "--n-tasks", "20", "--json"]
    installed = json.loads(_run([str(python), "-m", "mlkit", *args], cwd=outside).stdout)
    here = json.loads(_run([sys.executable, "-m", "mlkit", *args], cwd=ROOT).stdout)
    assert installed == here and installed["n"] == 20  # the same numbers as the repository's package

    probe = ("import mlkit.tasks.omniglot as o; from mlkit.tasks import Omniglot; d = Omniglot(split='test'); "
             "print(o.SHIPPED, d.n_classes, tuple(d.images.shape))")
    shipped, classes, shape = _run([str(python), "-c", probe], cwd=outside).stdout.strip().split(" ", 2)
    assert Path(shipped).is_relative_to(site)  # the subsets inside the installed package
    assert int(classes) > 0 and shape.endswith("1, 28, 28)")


def test_the_installed_wheel_carries_the_exercise_checks(wheel, tmp_path):
    """The notebooks' checks are otter-grader test files inside the package: an installed mlkit must find them."""
    python, _ = _fresh_venv(tmp_path / "venv")
    _run([sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet", "--no-deps", "--no-index",
          str(wheel)], cwd=tmp_path)
    probe = ("from mlkit.exercises import exercise_names, notebooks_with_exercises; "
             "print(len(notebooks_with_exercises()), exercise_names('01_sine_regression'))")
    count, names = _run([str(python), "-c", probe], cwd=tmp_path).stdout.strip().split(" ", 1)
    assert int(count) >= 9 and names == "['inner_step', 'meta_gradient', 'meta_train_step']"
