"""The knob panels the notebooks build: each notebook's panel cell, run on stand-in data.

A notebook builds its panel in the code cell just above its ``el.knob_panel(...)`` call, from
the data and the ``#@save`` trainer it already has. :func:`build_panel` runs that cell, as it
stands in the notebook, with the names it reads supplied by the test, and returns the spec.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import embedlab as el
from embedlab.interactive.knobs import RecipeSpec

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"


def panel_cell(notebook: str) -> str:
    """The source of the cell that builds ``notebook``'s knob panel."""
    cells = json.loads((NOTEBOOKS / f"{notebook}.ipynb").read_text(encoding="utf-8"))["cells"]
    code = ["".join(c["source"]) for c in cells if c["cell_type"] == "code"]
    shows = [i for i, source in enumerate(code) if source.lstrip().startswith("el.knob_panel(")]
    assert len(shows) == 1, f"{notebook} shows {len(shows)} knob panels"
    return code[shows[0] - 1]


def build_panel(notebook: str, **names: Any) -> RecipeSpec:
    """Run ``notebook``'s panel cell with ``names`` (its data, trainer...) and return its spec."""
    namespace: dict[str, Any] = {"el": el, "NOTEBOOK": notebook, **names}
    exec(compile(panel_cell(notebook), f"{notebook}: panel cell", "exec"), namespace)
    (spec,) = [v for k, v in namespace.items() if k.endswith("_PANEL")]
    return spec
