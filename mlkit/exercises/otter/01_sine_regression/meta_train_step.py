"""Exercise `meta_train_step` of notebook 01 (otter-grader test file): one outer step of MAML over a meta-batch
(Finn et al. 2017, Algorithm 2)."""
from otter.test_files import test_case

from mlkit.exercises import maml

OK_FORMAT = False
name = "meta_train_step"
points = 3


@test_case(name="one outer step over the meta-batch", points=3)
def meta_train_step_is_algorithm_2(meta_train_step):
    maml.check_meta_train_step(meta_train_step)
