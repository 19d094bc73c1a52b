"""The API reference (mlkit/apidocs.py, pdoc): built from the docstrings, one page per public module."""
import html

import pytest

from mlkit.apidocs import public_modules, write_api_reference
from mlkit.meta import MAML


def test_public_modules_are_the_package_without_private_ones():
    names = public_modules()
    assert {"mlkit", "mlkit.meta", "mlkit.meta.inner", "mlkit.tasks.sampler", "mlkit.train", "mlkit.tuning"} <= set(
        names)
    assert not [n for n in names if "._" in n or n.endswith("__main__")]


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    out = tmp_path_factory.mktemp("api")
    return out, write_api_reference(out)


def test_the_reference_has_a_page_per_module_with_the_docstrings(reference):
    out, index = reference
    assert index == out / "index.html" and index.exists()
    for name in ("mlkit.html", "mlkit/meta.html", "mlkit/meta/inner.html", "mlkit/meta/maml.html",
                 "mlkit/tasks/sampler.html", "mlkit/train.html", "mlkit/evaluate.html"):
        assert (out / name).exists(), name
    meta = html.unescape((out / "mlkit/meta.html").read_text(encoding="utf-8"))
    first_line = MAML.__doc__.splitlines()[0].replace("``", "")  # pdoc renders ``x`` as code
    assert "Finn, Abbeel &amp; Levine (2017)" in (out / "mlkit/meta.html").read_text(encoding="utf-8")
    assert first_line.split(":")[0] in meta and "Model-agnostic meta-learning" in meta
    assert 'href="meta/maml.html"' in (out / "mlkit/meta.html").read_text(encoding="utf-8")  # modules are linked
