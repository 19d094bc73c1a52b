"""The package's layers: tasks -> learners -> meta -> train / evaluate / tuning -> experiments, bench, viz, widgets.

No module of the lower layers imports a higher one (checked on the source with ``ast``, imports inside functions
included), so a method never reaches up to the loop's level.
"""
import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "mlkit"
LOWER = ("meta", "learners", "tasks")
HIGHER = ("mlkit.train", "mlkit.evaluate", "mlkit.tuning", "mlkit.experiments", "mlkit.bench", "mlkit.widgets",
          "mlkit.viz")


def imported_modules(source: str, package: str) -> set[str]:
    """Every module a source imports, as absolute names; ``from mlkit import evaluate`` counts as mlkit.evaluate
    and relative imports are resolved against ``package`` (the module's own package)."""
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # from .x import y
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(parts + ([base] if base else []))
            found |= {base, *(f"{base}.{alias.name}" for alias in node.names)}
    return found


def _higher(module: str) -> bool:
    return any(module == h or module.startswith(h + ".") for h in HIGHER)


def test_no_lower_layer_imports_a_higher_one():
    offences = []
    for layer in LOWER:
        for path in sorted((PACKAGE / layer).rglob("*.py")):
            package = ".".join(path.relative_to(PACKAGE.parent).parts[:-1])
            for module in sorted(imported_modules(path.read_text(encoding="utf-8"), package)):
                if _higher(module):
                    offences.append(f"{path.relative_to(PACKAGE.parent)} imports {module}")
    assert not offences, "\n".join(offences)


def test_the_check_sees_every_form_of_import():
    source = ("import mlkit.viz.sine\n"
              "def f():\n    from mlkit.evaluate import evaluate\n    from mlkit import tuning\n"
              "    from ... import bench\n")
    found = imported_modules(source, "mlkit.meta.sub")
    assert all(_higher(m) for m in ("mlkit.viz.sine", "mlkit.evaluate", "mlkit.tuning", "mlkit.bench"))
    assert {"mlkit.viz.sine", "mlkit.evaluate", "mlkit.tuning", "mlkit.bench"} <= found
    assert not _higher("mlkit.meta.inner") and not _higher("mlkit.trainer_notes")
