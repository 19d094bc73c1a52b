"""Exercise `inner_step` of notebook 01 (otter-grader test file): MAML's inner step, Finn et al. (2017), eq. 1."""
from otter.test_files import test_case

from mlkit.exercises import maml

OK_FORMAT = False
name = "inner_step"
points = 2


@test_case(name="the inner step of eq. 1, differentiable to second order", points=2)
def inner_step_follows_equation_1(inner_step):
    maml.check_inner_step(inner_step)
