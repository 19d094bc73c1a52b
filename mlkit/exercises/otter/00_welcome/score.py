"""Exercise `score` of notebook 00 (otter-grader test file): the loop that scores a baseline over episodes, the mean
query accuracy with its 95% interval 1.96·σ/√n (as Finn et al. 2017 report few-shot results)."""
from otter.test_files import test_case

from mlkit.exercises import episodes

OK_FORMAT = False
name = "score"
points = 2


@test_case(name="mean query accuracy over episodes and its 95% interval", points=2)
def score_is_the_mean_and_its_interval(score):
    episodes.check_score(score)
