"""The package's registries are explicit lists: check that they list everything, and only the package's own parts."""
import importlib
import pkgutil
import re

import mlkit.bench
import mlkit.experiments
import mlkit.meta
import mlkit.tasks
from mlkit.bench import benchmarks
from mlkit.experiments import experiments
from mlkit.learners import MLP
from mlkit.meta import METHODS, MetaLearner


def _modules(package):
    return [importlib.import_module(f"{package.__name__}.{m.name}") for m in pkgutil.iter_modules(package.__path__)
            if not m.name.startswith("_")]


def test_every_method_of_the_package_is_in_METHODS():
    defined = {cls for module in _modules(mlkit.meta) for cls in vars(module).values()
               if isinstance(cls, type) and issubclass(cls, MetaLearner) and cls.__module__ == module.__name__
               and cls.name}
    assert defined == set(METHODS.values()), "add the class to the imports and _CLASSES of mlkit/meta/__init__.py"
    assert all(name == cls.name for name, cls in METHODS.items())


def test_every_method_is_importable_by_name_and_documented_with_its_paper():
    for cls in METHODS.values():
        assert getattr(mlkit.meta, cls.__name__) is cls
        assert cls.__name__ in mlkit.meta.__all__
        doc = cls.__dict__.get("__doc__") or ""
        assert re.search(r"\b(19|20)\d\d\b", doc), f"{cls.__name__}'s docstring cites no paper (no year)"


def test_a_subclass_written_elsewhere_is_not_a_method():
    class Mine(MetaLearner):
        name = "mine"

    assert "mine" not in METHODS and Mine(MLP((1, 2, 1))).name == "mine"


def test_every_benchmark_and_experiment_module_is_listed():
    for package, attribute, found in ((mlkit.bench, "BENCHMARKS", benchmarks()),
                                      (mlkit.experiments, "EXPERIMENTS", experiments())):
        for module in _modules(package):
            for name, run in getattr(module, attribute, {}).items():
                assert found.get(name) is run, (
                    f"{module.__name__} defines {attribute}[{name!r}] but {package.__name__}/__init__.py does not list "
                    f"the module")


def test_every_public_name_of_tasks_and_meta_is_importable():
    for package in (mlkit.tasks, mlkit.meta):
        for name in package.__all__:
            assert getattr(package, name) is not None
