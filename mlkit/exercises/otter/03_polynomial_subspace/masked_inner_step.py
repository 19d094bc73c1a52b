"""Exercise `masked_inner_step` of notebook 03 (otter-grader test file): one MT-net step, W' = W - alpha M * grad
for every layer with its own mask, T unchanged (Lee 2018, eq. 3.6)."""
from otter.test_files import test_case

from mlkit.exercises import mtnet

OK_FORMAT = False
name = "masked_inner_step"
points = 2


@test_case(name="the masked step of eq. 3.6, differentiable to theta and zeta", points=2)
def masked_inner_step_follows_equation_3_6(masked_inner_step, tnet):
    mtnet.check_masked_inner_step(masked_inner_step, tnet)
