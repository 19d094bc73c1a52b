"""Exercise `fomaml_gradient` of notebook 05 (otter-grader test file): first-order MAML's meta-gradient of one task,
the query gradient at θ' with the inner gradient held constant (Finn et al. 2017, §5.2)."""
from otter.test_files import test_case

from mlkit.exercises import reptile

OK_FORMAT = False
name = "fomaml_gradient"
points = 2


@test_case(name="the query gradient at θ', the inner gradient a constant", points=2)
def fomaml_gradient_is_first_order(fomaml_gradient):
    reptile.check_fomaml_gradient(fomaml_gradient)
