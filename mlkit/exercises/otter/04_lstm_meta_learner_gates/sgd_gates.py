"""Exercise `sgd_gates` of notebook 04 (otter-grader test file): gates that make the cell one step of gradient
descent, f_t = 1 and i_t = alpha (Ravi & Larochelle 2017, §3.1, eq. 1), checked through the student's cell_step."""
from otter.test_files import test_case

from mlkit.exercises import lstm

OK_FORMAT = False
name = "sgd_gates"
points = 1


@test_case(name="with these gates cell_step returns c - alpha * grad", points=1)
def sgd_gates_make_the_cell_gradient_descent(sgd_gates, cell_step):
    lstm.check_sgd_gates(sgd_gates, cell_step)
