"""Exercise `nearest_prototype` of notebook 09 (otter-grader test file): the class means of the support embeddings,
the squared Euclidean distance of each query to each, and the nearest (Snell, Swersky & Zemel 2017, eqs. 1-2)."""
from otter.test_files import test_case

from mlkit.exercises import alphabet

OK_FORMAT = False
name = "nearest_prototype"
points = 2


@test_case(name="class means, squared distances, the nearest prototype", points=2)
def nearest_prototype_answers_like_the_paper(nearest_prototype):
    alphabet.check_nearest_prototype(nearest_prototype)
