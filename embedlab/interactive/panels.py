"""The knob panels by name: the built-in ones (notebooks 02-07) and those a notebook adds.

:data:`BUILTIN_PANELS` is assembled here, explicitly, from
:mod:`~embedlab.interactive.recipe_panels` (02-05) and
:mod:`~embedlab.interactive.pipeline_panels` (06-07); nothing is registered as a side effect
of an import. A later notebook adds its own with :func:`register_recipe`. The functions
below take a panel's name (or a :class:`~embedlab.interactive.knobs.RecipeSpec`) and hand
the spec to :mod:`embedlab.interactive.knobs`:

>>> settings = validate_settings("softmax", {"n_pairs": 500}, QUICK)   # InputError if bad
>>> outcome = run_knobs("softmax", settings, QUICK)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..errors import InputError
from ..profiles import Profile
from . import knobs, pipeline_panels, recipe_panels
from .knobs import PanelOutcome, RecipeSpec, check_spec

__all__ = [
    "BUILTIN_PANELS",
    "register_recipe",
    "recipe_spec",
    "panel_recipes",
    "default_settings",
    "validate_settings",
    "run_knobs",
]

# name -> spec of every panel the package ships, in notebook order
BUILTIN_PANELS: dict[str, RecipeSpec] = {
    spec.name: check_spec(spec) for spec in (*recipe_panels.PANELS, *pipeline_panels.PANELS)
}

# panels added (or built-in ones redefined) with register_recipe
_REGISTRY: dict[str, RecipeSpec] = {}


def register_recipe(spec: RecipeSpec, *, replace: bool = False) -> RecipeSpec:
    """Add ``spec`` to the knob panels (``replace`` to redefine one, built-in ones included)."""
    if (spec.name in _REGISTRY or spec.name in BUILTIN_PANELS) and not replace:
        raise InputError(f"a knob panel {spec.name!r} exists; pass replace=True to redefine it")
    _REGISTRY[spec.name] = check_spec(spec)
    return spec


def panel_recipes() -> list[str]:
    """Names of every recipe that has a knob panel."""
    return [*BUILTIN_PANELS, *(name for name in _REGISTRY if name not in BUILTIN_PANELS)]


def recipe_spec(recipe: str | RecipeSpec) -> RecipeSpec:
    """The spec of panel ``recipe`` (a spec passes through)."""
    if isinstance(recipe, RecipeSpec):
        return recipe
    if recipe in _REGISTRY:
        return _REGISTRY[recipe]
    if recipe in BUILTIN_PANELS:
        return BUILTIN_PANELS[recipe]
    raise InputError(f"no knob panel for recipe {recipe!r}; choose one of {panel_recipes()}")


def default_settings(recipe: str | RecipeSpec, profile: Profile) -> dict[str, Any]:
    """Every knob of ``recipe`` at its default for ``profile``."""
    return knobs.default_settings(recipe_spec(recipe), profile)


def validate_settings(
    recipe: str | RecipeSpec, settings: Mapping[str, Any], profile: Profile
) -> dict[str, Any]:
    """:func:`embedlab.interactive.knobs.validate_settings` for the panel named ``recipe``."""
    return knobs.validate_settings(recipe_spec(recipe), settings, profile)


def run_knobs(
    recipe: str | RecipeSpec, settings: Mapping[str, Any], profile: Profile, **options: Any
) -> PanelOutcome:
    """:func:`embedlab.interactive.knobs.run_knobs` for the panel named ``recipe``.

    ``options``: ``notebook``, ``progress``, ``map_points``, ``evaluator``, as there.
    """
    return knobs.run_knobs(recipe_spec(recipe), settings, profile, **options)
