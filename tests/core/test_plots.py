import subprocess
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import numpy as np
import pandas as pd
import pytest

import embedlab as el


def test_umap_coordinates_are_two_dimensional():
    points = np.random.default_rng(0).normal(size=(30, 8))
    coords = el.plots.umap_coordinates(points, seed=1)
    assert coords.shape == (30, 2)
    assert np.isfinite(coords).all()


def test_umap_compiled_code_is_kept_on_disk_and_loaded_by_the_next_process():
    el.plots.umap_coordinates(np.random.default_rng(0).normal(size=(30, 8)), seed=1)
    from umap.umap_ import smooth_knn_dist  # one of the functions numba compiles for UMAP

    assert Path(smooth_knn_dist._cache._cache_file._index_path).is_file()
    code = (
        "import numpy as np, embedlab as el\n"
        "el.plots.umap_coordinates(np.random.default_rng(0).normal(size=(30, 8)), seed=1)\n"
        "from umap.umap_ import smooth_knn_dist\n"
        "print(sum(smooth_knn_dist.stats.cache_hits.values()))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert int(out.stdout.split()[-1]) >= 1, "a new process compiled UMAP again"


def test_umap_maps_where_numba_has_no_folder_to_keep_its_code(monkeypatch):
    from numba.core.registry import CPUDispatcher

    def no_folder(self):
        raise RuntimeError("cannot cache function: no locator available")  # as numba says it

    monkeypatch.setattr(CPUDispatcher, "enable_caching", no_folder)
    monkeypatch.setattr("numba.core.caching.NullCache", object)  # every function: not kept yet
    monkeypatch.setattr(el.plots, "_cached", False)
    coords = el.plots.umap_coordinates(np.random.default_rng(1).normal(size=(30, 8)), seed=1)
    assert coords.shape == (30, 2) and el.plots._cached


def test_umap_rejects_too_few_points():
    with pytest.raises(el.errors.InputError, match="at least 4 rows"):
        el.plots.umap_coordinates(np.zeros((2, 3)))


def test_plot_map_needs_one_label_per_point():
    with pytest.raises(el.errors.InputError, match="3 points but 2 labels"):
        el.plots.plot_map(np.zeros((3, 2)), ["a", "b"])
    fig = el.plots.plot_map(np.arange(6).reshape(3, 2), [0, 1, 0], label_names={0: "yes", 1: "no"})
    assert [t.get_text() for t in fig.axes[0].get_legend().get_texts()] == ["yes", "no"]


def test_similarity_heatmap_shows_the_cosine_matrix(standin):
    fig = el.plots.similarity_heatmap(standin, ["a cat", "a kitten", "the stock market"])
    image = fig.axes[0].images[0].get_array()
    assert image.shape == (3, 3)
    assert np.allclose(np.diag(image), 1.0, atol=1e-4)


def test_plot_ledger_draws_three_bars_per_run():
    table = pd.DataFrame(
        [
            {
                "recipe": "softmax",
                "profile": "quick",
                "untrained": 0.6,
                "trained": 0.46,
                "book": 0.603,
            }
        ]
    )
    fig = el.plot_ledger(table)
    assert len(fig.axes[0].patches) == 3
    with pytest.raises(el.errors.InputError, match="ledger is empty"):
        el.plot_ledger(pd.DataFrame())
