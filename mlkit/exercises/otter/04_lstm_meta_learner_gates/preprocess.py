"""Exercise `preprocess` of notebook 04 (otter-grader test file): the preprocessing of gradients and losses,
Ravi & Larochelle (2017), §3.2."""
from otter.test_files import test_case

from mlkit.exercises import lstm

OK_FORMAT = False
name = "preprocess"
points = 2


@test_case(name="(log|x| / p, sign x) if |x| >= e^-p, else (-1, e^p x), on a new last dimension", points=2)
def preprocess_follows_section_3_2(preprocess):
    lstm.check_preprocess(preprocess)
