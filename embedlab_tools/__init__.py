"""Tools for teachers and maintainers, beside the learner's package ``embedlab``.

Nothing here is imported by ``import embedlab``: these are commands a maintainer or a teacher
runs (``embedlab-export-recipes`` ...), installed with the same distribution.
"""
