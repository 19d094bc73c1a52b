"""mlkit: a small PyTorch package for learning meta-learning by doing it.

    tasks  ->  learners  ->  meta  ->  train / evaluate  ->  experiments / notebooks

See README.md and the notebooks; every module says which paper and equation it implements.
"""
__version__ = "0.1.0"
