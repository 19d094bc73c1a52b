"""Exercise `split_episode` of notebook 00 (otter-grader test file): an N-way K-shot episode cut by hand from N
classes × M examples (Vinyals et al. 2016, §2.2)."""
from otter.test_files import test_case

from mlkit.exercises import episodes

OK_FORMAT = False
name = "split_episode"
points = 2


@test_case(name="K support and M - K query examples per class, labels 0 ... N-1", points=2)
def split_episode_makes_an_episode(split_episode):
    episodes.check_split_episode(split_episode)
