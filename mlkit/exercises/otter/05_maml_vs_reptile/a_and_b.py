"""Exercise `a_and_b` of notebook 05 (otter-grader test file): the expansion's A (AvgGrad) and B (AvgGradInner)
measured over tasks (Nichol, Achiam & Schulman 2018, §5.1)."""
from otter.test_files import test_case

from mlkit.exercises import reptile

OK_FORMAT = False
name = "a_and_b"
points = 3


@test_case(name="A and B averaged over the tasks, as mlkit's expansion computes them", points=3)
def a_and_b_are_avggrad_and_avggradinner(a_and_b):
    reptile.check_a_and_b(a_and_b)
