"""Every public name of the API a reader meets first has a docstring (the API reference is built from them)."""
import importlib
import inspect

import pytest

PACKAGES = ("mlkit.meta", "mlkit.tasks", "mlkit.learners")  # their public names: __all__
MODULES = ("mlkit.train", "mlkit.evaluate", "mlkit.tuning", "mlkit.recipes", "mlkit.checkpoint", "mlkit.tasks.sampler",
           "mlkit.meta.inner", "mlkit.meta.losses", "mlkit.apidocs")  # theirs: what they define without a leading _


def public_names():
    for package in PACKAGES:
        module = importlib.import_module(package)
        yield from ((f"{package}.{name}", getattr(module, name)) for name in module.__all__)
    for name in MODULES:
        module = importlib.import_module(name)
        yield from ((f"{name}.{attr}", value) for attr, value in vars(module).items()
                    if not attr.startswith("_") and (inspect.isfunction(value) or inspect.isclass(value))
                    and value.__module__ == name)


def undocumented():
    missing = []
    for name, value in public_names():
        if not (inspect.isfunction(value) or inspect.isclass(value)):
            continue  # constants and tables (METHODS, TASK_FAMILIES) are described by their module
        if not (inspect.getdoc(value) or "").strip():
            missing.append(name)
        if inspect.isclass(value):
            for attr, member in vars(value).items():
                if not attr.startswith("_") and inspect.isfunction(member) and not inspect.getdoc(getattr(value, attr)):
                    missing.append(f"{name}.{attr}")
    return sorted(set(missing))


def test_every_public_name_and_method_has_a_docstring():
    assert undocumented() == []


@pytest.mark.parametrize("package", PACKAGES)
def test_package_docstrings_name_their_modules(package):
    assert importlib.import_module(package).__doc__.count(f"``{package}.") >= 2
