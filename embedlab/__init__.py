"""embedlab: the helper package behind the embedlab notebooks.

The notebooks hold the lessons; this package holds the plumbing they share, in layers that
import only downwards:

- core (this folder): profiles, data, models, evaluation, plots, artefacts...;
- :mod:`embedlab.methods`: negatives, masked-LM pre-training, Augmented SBERT, TSDAE;
- :mod:`embedlab.recipes`: the recipes the notebooks write in their ``#@save`` cells;
- :mod:`embedlab.training`: recording runs, the results ledger and its reference, seeds;
- :mod:`embedlab.interactive`: knob panels, explorers, the dashboard (ipywidgets);
- :mod:`embedlab.classroom`: notebook start-up, exercises, the doctor.

Tools for teachers and maintainers (lab kit, base builder, training command, recipe export)
live beside it in ``embedlab_tools``.

``import embedlab as el`` gives the names below; everything else is reached through its
namespace, e.g. ``el.data.nli_pairs`` or ``el.interactive.widgets.similarity_explorer``.
"""

from __future__ import annotations

from . import (
    batching,
    benchmarks,
    data,
    evaluation,
    interactive,
    methods,
    models,
    plots,
    profiles,
    recipes,
    training,
)
from ._version import REPO_URL as REPO_URL  # an attribute, not in __all__
from ._version import __version__ as __version__
from .classroom import exercises
from .classroom.session import start
from .data import load_nli, load_stsb
from .interactive.widgets import knob_panel
from .memory import free_memory
from .models import load_base_model, load_pretrained_model
from .plots import plot_ledger
from .training.ledger import ledger_table
from .training.run import recorded_run
from .training.seeds import seed_spread, verdict

__all__ = [
    # namespaces: el.data.nli_pairs, el.plots.plot_map, el.profiles.precision ...
    "data",
    "models",
    "evaluation",
    "plots",
    "profiles",
    "batching",
    "benchmarks",
    "methods",
    "training",
    "recipes",
    "interactive",
    "exercises",
    # what every notebook uses
    "start",
    "load_nli",
    "load_stsb",
    "load_base_model",
    "load_pretrained_model",
    "recorded_run",
    "free_memory",
    "seed_spread",
    "verdict",
    "ledger_table",
    "plot_ledger",
    "knob_panel",
]
