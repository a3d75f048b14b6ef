"""Interactive tools for the notebooks: knob panels, explorers, the results dashboard."""

from __future__ import annotations

from . import dashboard, explorers, knobs, widgets
from .dashboard import dashboard_table
from .explorers import embedding_maps, item_set, model_choices, similarity_view
from .knobs import KNOBS, RecipeSpec, TrainingPlan, run_knobs, validate_settings
from .widgets import embedding_explorer, knob_panel, results_dashboard, similarity_explorer

__all__ = [
    "dashboard",
    "explorers",
    "knobs",
    "widgets",
    "dashboard_table",
    "embedding_maps",
    "item_set",
    "model_choices",
    "similarity_view",
    "KNOBS",
    "RecipeSpec",
    "TrainingPlan",
    "run_knobs",
    "validate_settings",
    "embedding_explorer",
    "knob_panel",
    "results_dashboard",
    "similarity_explorer",
]
