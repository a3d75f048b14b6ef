"""The package's version and the one place that names its repository."""

__version__ = "0.1.0"

# The one place that names the repository (Colab set-up cells and badges are checked against it).
REPO_URL = "https://github.com/embedlab/embedlab"
