"""Exercise `step_multipliers` of notebook 02 (otter-grader test file): the eigenvalues of TᵀT, by which a T-net
multiplies its step along their eigenvectors (Lee 2018, §4.1)."""
from otter.test_files import test_case

from mlkit.exercises import tnet

OK_FORMAT = False
name = "step_multipliers"
points = 1


@test_case(name="the eigenvalues of TᵀT", points=1)
def step_multipliers_are_the_eigenvalues_of_t_transpose_t(step_multipliers):
    tnet.check_step_multipliers(step_multipliers)
