"""Exercise `tnet_cell` of notebook 02 (otter-grader test file): a T-net cell, h = (x W + b) T (Lee 2018, eq. 3.1)."""
from otter.test_files import test_case

from mlkit.exercises import tnet

OK_FORMAT = False
name = "tnet_cell"
points = 1


@test_case(name="the T-net cell of eq. 3.1", points=1)
def tnet_cell_follows_equation_3_1(tnet_cell):
    tnet.check_tnet_cell(tnet_cell)
