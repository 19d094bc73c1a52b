"""Exercise `cell_step` of notebook 04 (otter-grader test file): one update of the meta-learner's cell state,
Ravi & Larochelle (2017), §3.1 (eq. 2 and the gates), as the authors' code computes it."""
from otter.test_files import test_case

from mlkit.exercises import lstm

OK_FORMAT = False
name = "cell_step"
points = 3


@test_case(name="the forget and input gates and c_t = f_t * c_{t-1} - i_t * grad, differentiable", points=3)
def cell_step_follows_equation_2(cell_step):
    lstm.check_cell_step(cell_step)
