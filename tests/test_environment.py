"""environment.yml (conda) lists exactly the packages of pyproject.toml, the one source of dependencies."""
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_environment_yml_agrees_with_pyproject():
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    lines = [l.strip()[2:].strip() for l in (ROOT / "environment.yml").read_text().splitlines() if l.strip().startswith("- ")]
    pip_section = lines[lines.index("pip:") + 1 :]
    conda_pins = [l for l in pip_section if l != "-e ."]
    assert sorted(conda_pins) == sorted(pyproject)
    assert "torch==2.13.0" in pyproject  # an unpinned torch pulls GBs of CUDA wheels
