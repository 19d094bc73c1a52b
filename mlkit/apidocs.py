"""The API reference: one HTML page per public module, generated from the docstrings by pdoc.

    python -m mlkit.apidocs --out build/api     # what ``make docs`` runs; ``make run`` writes it too

Docstrings are Google style ("Args:" sections) with the paper, equation and tensor shapes of each name; the pages
show them with the signatures and the source. pdoc is the ``docs`` extra (``pip install mlkit[docs]``; the ``test``
extra has it too, since the tests build the reference).
"""
from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys
import warnings
from pathlib import Path

import mlkit


def public_modules() -> list[str]:
    """Every module of the package whose dotted name has no part starting with "_", in name order."""
    names = ["mlkit"] + [m.name for m in pkgutil.walk_packages(mlkit.__path__, "mlkit.")]
    return sorted(n for n in names if not any(part.startswith("_") for part in n.split(".")))


def write_api_reference(out: Path) -> Path:
    """Write the reference into ``out`` (``out/index.html`` lists the modules); returns that index page.

    Raises ImportError (naming the extra to install) when pdoc is missing.
    """
    try:
        import pdoc
        import pdoc.render
    except ImportError as error:
        raise ImportError("the API reference needs pdoc: pip install 'mlkit[docs]'") from error
    modules = public_modules()
    for name in modules:  # fail loudly here, not with a page silently missing
        importlib.import_module(name)
    pdoc.render.configure(docformat="google", show_source=True,
                          footer_text=f"mlkit {mlkit.__version__}: learn meta-learning by doing it")
    out.mkdir(parents=True, exist_ok=True)
    with warnings.catch_warnings():  # a package without __all__ already brings its submodules: not a mistake here
        warnings.filterwarnings("ignore", message="The module specification .* has already been added")
        pdoc.pdoc(*modules, output_directory=out)
    return out / "index.html"


def main(argv: list[str] | None = None) -> int:
    """``python -m mlkit.apidocs [--out DIR]``."""
    parser = argparse.ArgumentParser(prog="python -m mlkit.apidocs", description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("build") / "api", help="output folder (default build/api)")
    args = parser.parse_args(argv)
    print(f"API reference: {write_api_reference(args.out)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
