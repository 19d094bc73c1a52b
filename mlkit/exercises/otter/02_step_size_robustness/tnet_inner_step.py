"""Exercise `tnet_inner_step` of notebook 02 (otter-grader test file): the T-net's inner step adapts every W and b,
never T (Lee 2018, eq. 3.2 and Algorithm 1)."""
from otter.test_files import test_case

from mlkit.exercises import tnet as checks

OK_FORMAT = False
name = "tnet_inner_step"
points = 2


@test_case(name="one inner step on W and b, T passed through, differentiable", points=2)
def tnet_inner_step_follows_algorithm_1(tnet_inner_step, tnet_cell, tnet):
    checks.check_tnet_inner_step(tnet_inner_step, tnet_cell, tnet)
