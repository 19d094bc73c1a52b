"""Exercise `cosine_read` of notebook 08 (otter-grader test file): MANN's content-based read, the softmax over the
memory slots of the cosine similarity with the key, and the weighted sum of the rows (Santoro et al. 2016, §3.1)."""
from otter.test_files import test_case

from mlkit.exercises import memory

OK_FORMAT = False
name = "cosine_read"
points = 2


@test_case(name="read weights and read vectors of the cosine-similarity read", points=2)
def cosine_read_follows_section_3_1(cosine_read):
    memory.check_cosine_read(cosine_read)
