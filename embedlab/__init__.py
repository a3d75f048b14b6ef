"""embedlab: the helper package behind the embedlab notebooks.

The notebooks hold the lessons; this package holds the plumbing they share, in layers that
import only downwards:

- core (this folder): profiles, data, models, losses, evaluation, plots, artefacts...;
- :mod:`embedlab.methods`: negatives, masked-LM pre-training, Augmented SBERT, TSDAE;
- :mod:`embedlab.training`: recording runs, the results ledger and its reference, seeds;
- :mod:`embedlab.recipes`: the recipes the notebooks write in their ``#@save`` cells;
- :mod:`embedlab.interactive`: knob panels, explorers, the dashboard (ipywidgets);
- :mod:`embedlab.classroom`: notebook start-up, exercises, the doctor.

Tools for teachers and maintainers (lab kit, base builder, training command, recipe export)
live beside it in ``embedlab_tools``.

``import embedlab as el`` gives the names below; everything else is reached through its
namespace, e.g. ``el.data.nli_pairs`` or ``el.interactive.widgets.similarity_explorer``.
"""

from __future__ import annotations

from . import batching as batching  # el.batching: a namespace, not in __all__
from . import (
    benchmarks,
    classroom,
    data,
    evaluation,
    interactive,
    losses,
    methods,
    models,
    plots,
    profiles,
    training,
)
from ._version import REPO_URL as REPO_URL  # an attribute, not in __all__
from ._version import __version__ as __version__
from .classroom import exercises
from .classroom.session import start
from .data import NLI_LABELS, load_nli, load_stsb, load_training_nli
from .evaluation import pair_cosines
from .interactive.widgets import knob_panel
from .memory import free_memory
from .models import load_base_model, load_pretrained_model
from .plots import plot_ledger, plot_map, plot_similarity_by_group, umap_coordinates
from .profiles import device_name, precision
from .training.ledger import ledger_table
from .training.run import recorded_run, run_recipe
from .training.seeds import SEEDS, seed_spread, spread, verdict

__all__ = [
    # namespaces
    "data",
    "models",
    "losses",
    "evaluation",
    "plots",
    "profiles",
    "benchmarks",
    "methods",
    "training",
    "interactive",
    "classroom",
    "exercises",
    # what the notebooks use most
    "start",
    "device_name",
    "precision",
    "NLI_LABELS",
    "load_nli",
    "load_training_nli",
    "load_stsb",
    "load_base_model",
    "load_pretrained_model",
    "pair_cosines",
    "run_recipe",
    "recorded_run",
    "free_memory",
    "SEEDS",
    "spread",
    "seed_spread",
    "verdict",
    "ledger_table",
    "plot_ledger",
    "plot_map",
    "plot_similarity_by_group",
    "umap_coordinates",
    "knob_panel",
]
