"""Exercise `reptile_update` of notebook 05 (otter-grader test file): k SGD steps on one task, then θ + ε(φ − θ)
(Nichol, Achiam & Schulman 2018, Algorithm 1)."""
from otter.test_files import test_case

from mlkit.exercises import reptile

OK_FORMAT = False
name = "reptile_update"
points = 2


@test_case(name="θ + ε(φ − θ) after k SGD steps", points=2)
def reptile_update_is_algorithm_1(reptile_update):
    reptile.check_reptile_update(reptile_update)
