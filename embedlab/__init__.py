"""embedlab: the helper package behind the embedlab notebooks.

The notebooks hold the lessons; this package holds the plumbing they share: scale profiles,
data and models that also work offline, training with evaluation, the results ledger,
plots and widgets.
"""

from __future__ import annotations

__version__ = "0.1.0"

# The one place that names the repository (Colab set-up cells and badges are checked against it).
REPO_URL = "https://github.com/embedlab/embedlab"

from . import exercises  # noqa: E402  (el.exercises.check_...: the notebooks' exercises)
from .benchmarks import in_depth_evaluation  # noqa: E402
from .dashboard import dashboard_table  # noqa: E402
from .data import (  # noqa: E402
    NLI_LABELS,
    cosine_pairs,
    graded_pairs,
    load_nli,
    load_stsb,
    load_stsb_genres,
    load_training_nli,
    mnr_triplets,
    nli_pairs,
    split_by_premise,
)
from .errors import (  # noqa: E402
    DataUnavailableError,
    EmbedlabError,
    InputError,
    ModelUnavailableError,
    StorageError,
)
from .evaluation import evaluate_sts, pair_cosines, pair_features, stsb_evaluator  # noqa: E402
from .explorers import embedding_maps, item_set, model_choices, similarity_view  # noqa: E402
from .knobs import panel_recipes, register_recipe, run_knobs, validate_settings  # noqa: E402
from .ledger import (  # noqa: E402
    BOOK_SCORES,
    check_runs_dir,
    latest_run,
    ledger_table,
    read_ledger,
    record_run,
)
from .losses import LOSSES, make_loss  # noqa: E402
from .models import (  # noqa: E402
    load_base_model,
    load_cross_encoder,
    load_pretrained_model,
    quick_base_path,
)
from .negatives import (  # noqa: E402
    contradiction_triplets,
    mined_negatives,
    quiet_mining,
    random_negatives,
    restrict_to_anchors,
)
from .plots import (  # noqa: E402
    plot_ledger,
    plot_map,
    plot_similarity_by_group,
    plot_umap,
    similarity_heatmap,
    umap_coordinates,
    warm_up_umap,
)
from .profiles import FULL, QUICK, Profile, device_name, get_profile, precision  # noqa: E402
from .recipes import ensure_recorded, run_book_recipe  # noqa: E402
from .seeds import SEEDS, seed_spread, spread, verdict  # noqa: E402
from .session import start  # noqa: E402
from .toydata import toy_reviews  # noqa: E402
from .training import (  # noqa: E402
    RunResult,
    free_memory,
    record_evaluation,
    recorded_run,
    run_recipe,
    train_model,
)
from .widgets import (  # noqa: E402
    embedding_explorer,
    knob_panel,
    results_dashboard,
    similarity_explorer,
)

__all__ = [
    "REPO_URL",
    "exercises",
    "NLI_LABELS",
    "BOOK_SCORES",
    "LOSSES",
    "FULL",
    "QUICK",
    "Profile",
    "RunResult",
    "EmbedlabError",
    "DataUnavailableError",
    "ModelUnavailableError",
    "InputError",
    "StorageError",
    "start",
    "get_profile",
    "device_name",
    "precision",
    "load_nli",
    "load_training_nli",
    "load_stsb",
    "load_stsb_genres",
    "nli_pairs",
    "cosine_pairs",
    "graded_pairs",
    "mnr_triplets",
    "load_base_model",
    "load_pretrained_model",
    "quick_base_path",
    "load_cross_encoder",
    "make_loss",
    "stsb_evaluator",
    "evaluate_sts",
    "pair_cosines",
    "pair_features",
    "plot_similarity_by_group",
    "train_model",
    "run_recipe",
    "recorded_run",
    "record_evaluation",
    "split_by_premise",
    "contradiction_triplets",
    "random_negatives",
    "mined_negatives",
    "quiet_mining",
    "restrict_to_anchors",
    "in_depth_evaluation",
    "run_book_recipe",
    "ensure_recorded",
    "SEEDS",
    "seed_spread",
    "spread",
    "verdict",
    "free_memory",
    "record_run",
    "check_runs_dir",
    "read_ledger",
    "latest_run",
    "ledger_table",
    "plot_ledger",
    "plot_map",
    "plot_umap",
    "similarity_heatmap",
    "umap_coordinates",
    "warm_up_umap",
    "toy_reviews",
    "panel_recipes",
    "register_recipe",
    "validate_settings",
    "run_knobs",
    "model_choices",
    "similarity_view",
    "item_set",
    "embedding_maps",
    "dashboard_table",
    "knob_panel",
    "similarity_explorer",
    "embedding_explorer",
    "results_dashboard",
]
