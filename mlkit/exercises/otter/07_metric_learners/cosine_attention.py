"""Exercise `cosine_attention` of notebook 07 (otter-grader test file): Matching Networks' attention, a softmax over
the support images of cosine similarities, Vinyals et al. (2016), eq. 2."""
from otter.test_files import test_case

from mlkit.exercises import metric

OK_FORMAT = False
name = "cosine_attention"
points = 2


@test_case(name="the cosine attention of eq. 2", points=2)
def cosine_attention_follows_equation_2(cosine_attention):
    metric.check_cosine_attention(cosine_attention)
