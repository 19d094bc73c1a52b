"""Exercise `effective_step` of notebook 02 (otter-grader test file): one step on W moves A = W T by
−α ∇_A L TᵀT (Lee 2018, eq. 4.3, in row-vector form), checked against mlkit's T-net step."""
from otter.test_files import test_case

from mlkit.exercises import tnet

OK_FORMAT = False
name = "effective_step"
points = 2


@test_case(name="the effective step of eq. 4.3 equals the finite difference of the transformed layer", points=2)
def effective_step_follows_equation_4_3(effective_step):
    tnet.check_effective_step(effective_step)
