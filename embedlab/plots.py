"""Figures: UMAP maps of embedding space, similarity heat-maps and the ledger's bar chart.

Every function takes an optional matplotlib ``ax`` and returns the figure. UMAP is always
seeded; its first call on a machine compiles numba code (10-15 s), which
:func:`warm_up_umap` does up front; numba keeps that code on disk, so later processes and
later plots take about a second.

>>> fig = plot_umap(model, sentences, labels, title="before training")
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from .errors import InputError

__all__ = [
    "umap_coordinates",
    "warm_up_umap",
    "plot_map",
    "plot_umap",
    "similarity_heatmap",
    "plot_ledger",
]

log = logging.getLogger(__name__)
_warmed = False
_cached = False  # UMAP's compiled code is kept on disk (see _keep_compiled_umap)


def _umap_class():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # numba/umap import-time chatter
        from umap import UMAP
    _keep_compiled_umap()
    return UMAP


def _keep_compiled_umap() -> None:
    """Let numba keep UMAP's compiled functions on disk (umap-learn compiles them anew in
    every process, 9-15 s): only the first process on a machine compiles, later ones load
    the code in under a second. Numba checks the cache against umap's source files and the
    CPU; where it cannot cache (another numba, no writable folder), UMAP compiles as before."""
    global _cached
    if _cached:
        return
    _cached = True
    try:
        import umap.distances
        import umap.layouts
        import umap.umap_
        import umap.utils
        from numba.core.caching import NullCache
        from numba.core.registry import CPUDispatcher
    except ImportError:  # another numba layout: compile in every process
        return
    for module in (umap.umap_, umap.layouts, umap.utils, umap.distances):
        for value in vars(module).values():
            if isinstance(value, CPUDispatcher) and isinstance(value._cache, NullCache):
                try:
                    value.enable_caching()
                except RuntimeError:  # no folder to write it to (umap's and ~/.cache read-only)
                    return


def umap_coordinates(
    embeddings: np.ndarray, *, seed: int = 42, n_neighbors: int = 15, min_dist: float = 0.1
) -> np.ndarray:
    """Reduce ``embeddings`` (n, d) to (n, 2) with a seeded, cosine-metric UMAP."""
    embeddings = np.asarray(embeddings, dtype=np.float32)
    if embeddings.ndim != 2 or len(embeddings) < 4:
        raise InputError(f"UMAP needs a 2-D array of at least 4 rows, got shape {embeddings.shape}")
    broken = np.flatnonzero(~np.isfinite(embeddings).all(axis=1))
    if len(broken):
        raise InputError(
            f"{len(broken)} of {len(embeddings)} embeddings hold NaN or infinite values (rows "
            f"{', '.join(str(i) for i in broken[:5])}{', ...' if len(broken) > 5 else ''}): the "
            "model gives broken vectors, e.g. after a run that diverged; map another model"
        )
    reducer = _umap_class()(
        n_components=2,
        n_neighbors=min(n_neighbors, len(embeddings) - 1),
        min_dist=min_dist,
        metric="cosine",
        random_state=seed,
        n_jobs=1,  # a seeded UMAP runs on one thread anyway; saying so avoids a warning
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # spectral-init and graph warnings on tiny inputs
        return reducer.fit_transform(embeddings)


def warm_up_umap() -> None:
    """Compile (first process on a machine, 10-15 s) or load (later ones, under a second)
    UMAP's numba code on a tiny random input."""
    global _warmed
    if not _warmed:
        umap_coordinates(np.random.default_rng(0).normal(size=(40, 8)), n_neighbors=5)
        _warmed = True


def plot_map(
    coords: np.ndarray,
    labels: Sequence,
    *,
    ax: plt.Axes | None = None,
    title: str = "",
    label_names: dict | None = None,
) -> Figure:
    """Scatter 2-D ``coords`` coloured by ``labels`` (one legend entry per distinct label)."""
    coords = np.asarray(coords)
    if len(coords) != len(labels):
        raise InputError(f"{len(coords)} points but {len(labels)} labels; give one label per point")
    if ax is None:
        _, ax = plt.subplots(figsize=(5.5, 4.5))
    values = list(dict.fromkeys(labels))
    colours = plt.get_cmap("tab10" if len(values) <= 10 else "tab20")
    for i, value in enumerate(values):
        mask = np.array([label == value for label in labels])
        name = label_names.get(value, value) if label_names else value
        ax.scatter(*coords[mask].T, s=8, alpha=0.7, color=colours(i % colours.N), label=str(name))
    ax.set_title(title)
    ax.set_xticks([])
    ax.set_yticks([])
    ax.legend(loc="best", fontsize=8, markerscale=2)
    return ax.figure


def plot_umap(
    model,
    sentences: Sequence[str],
    labels: Sequence,
    *,
    ax: plt.Axes | None = None,
    title: str = "",
    label_names: dict | None = None,
    seed: int = 42,
) -> Figure:
    """Embed ``sentences`` with ``model``, reduce with UMAP and plot coloured by ``labels``."""
    embeddings = model.encode(list(sentences), batch_size=64, convert_to_numpy=True)
    coords = umap_coordinates(embeddings, seed=seed)
    return plot_map(coords, labels, ax=ax, title=title, label_names=label_names)


def similarity_heatmap(
    model, sentences: Sequence[str], *, ax: plt.Axes | None = None, title: str = ""
) -> Figure:
    """Heat-map of the cosine similarity between every pair of ``sentences``."""
    if len(sentences) < 2:
        raise InputError("give at least two sentences to compare")
    embeddings = model.encode(list(sentences), convert_to_tensor=True, normalize_embeddings=True)
    matrix = (embeddings @ embeddings.T).cpu().numpy()
    if ax is None:
        size = 1.2 + 0.55 * len(sentences)
        _, ax = plt.subplots(figsize=(size + 2.5, size))
    image = ax.imshow(matrix, vmin=-0.2, vmax=1.0, cmap="viridis")
    short = [s if len(s) <= 40 else s[:37] + "..." for s in sentences]
    ax.set_xticks(range(len(sentences)), short, rotation=45, ha="right", fontsize=8)
    ax.set_yticks(range(len(sentences)), short, fontsize=8)
    for i in range(len(sentences)):
        for j in range(len(sentences)):
            colour = "black" if matrix[i, j] > 0.6 else "white"
            ax.text(j, i, f"{matrix[i, j]:.2f}", ha="center", va="center", fontsize=7, color=colour)
    ax.figure.colorbar(image, ax=ax, label="cosine similarity")
    ax.set_title(title)
    return ax.figure


def plot_similarity_by_group(
    similarities: Sequence[float],
    groups: Sequence,
    *,
    ax: plt.Axes | None = None,
    title: str = "",
    group_names: dict | None = None,
    bins: int = 30,
) -> Figure:
    """Overlaid histograms of cosine similarities, one per group (label, negative kind...)."""
    similarities = np.asarray(similarities, dtype=float)
    if len(similarities) != len(groups):
        raise InputError(f"{len(similarities)} similarities but {len(groups)} groups")
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 3.5))
    edges = np.linspace(min(-0.2, similarities.min()), 1.0, bins + 1)
    for value in dict.fromkeys(groups):
        mask = np.array([g == value for g in groups])
        name = group_names.get(value, value) if group_names else value
        values = similarities[mask]
        ax.hist(values, bins=edges, alpha=0.5, label=f"{name} (mean {values.mean():.2f})")
    ax.set_xlabel("cosine similarity")
    ax.set_ylabel("pairs")
    ax.set_title(title)
    ax.legend(fontsize=8)
    return ax.figure


def plot_ledger(table, *, ax: plt.Axes | None = None, title: str = "STS-B validation") -> Figure:
    """Untrained, trained (mean ± sd over seeds) and book Spearman for each run in a ledger
    table: one row of bars per recipe, labelled to three places, on an axis zoomed to the
    scores (its label says where it starts) so that 0.867 and 0.874 look different."""
    if table is not None and not isinstance(table, pd.DataFrame):
        raise InputError(
            f"plot_ledger needs a ledger table, e.g. el.ledger_table(), not "
            f"{type(table).__name__} {str(table)[:40]!r}"
        )
    if table is None or len(table) == 0:
        raise InputError("the ledger is empty: run a training notebook first")
    missing = [column for column in ("recipe", "profile") if column not in table]
    if missing:
        raise InputError(
            f"plot_ledger needs the columns of el.ledger_table(); this table lacks {missing}"
        )
    if ax is None:
        _, ax = plt.subplots(figsize=(7.5, 1.2 + 0.8 * len(table)))
    names = [f"{r.recipe} ({r.profile})" for r in table.itertuples()]
    y = np.arange(len(table))
    height = 0.27
    series = [("untrained", "#bbbbbb"), ("trained", "#1f77b4"), ("book", "#ff7f0e")]
    shown = [c for c, _ in series if c in table]
    values_all = np.concatenate([table[c].astype(float).to_numpy() for c in shown])
    values_all = values_all[~np.isnan(values_all)]
    low = max(0.0, np.floor((values_all.min() - 0.04) * 20) / 20) if len(values_all) else 0.0
    high = min(1.0, values_all.max() + 0.06) if len(values_all) else 1.0
    for k, (column, colour) in enumerate(series):
        values = (
            table[column].astype(float).to_numpy() if column in table else np.full(len(y), np.nan)
        )
        errors = None
        if column == "trained" and "trained_std" in table:
            errors = table["trained_std"].astype(float).fillna(0).to_numpy()
        bars = ax.barh(
            y + (k - 1) * height,
            np.nan_to_num(values),
            height,
            label=column,
            color=colour,
            xerr=errors,
            capsize=3 if errors is not None else 0,
        )
        for bar, value in zip(bars, values):
            if not np.isnan(value):
                ax.text(
                    value + 0.004, bar.get_y() + height / 2, f"{value:.3f}", va="center", fontsize=7
                )
    ax.set_yticks(y, names, fontsize=8)
    ax.invert_yaxis()  # the first recipe on top, as in the table
    ax.set_xlim(low, high)
    ax.set_xlabel(f"Spearman (cosine); the axis starts at {low:.2f}, not 0")
    ax.set_title(title)
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    return ax.figure
