"""The results dashboard without the widgets: the ledger as one table and chart, filtered.

>>> notebooks, profiles = dashboard_filters()
>>> table = dashboard_table(notebook="04_mnr_loss_and_hard_negatives", profile="quick")
>>> fig = dashboard_figure(table)                  # untrained / trained / book bars
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.figure import Figure

from ..plots import plot_ledger
from ..training.ledger import BOOK_SCORES, ledger_table, read_ledger

__all__ = [
    "ALL",
    "dashboard_filters",
    "dashboard_table",
    "dashboard_figure",
    "busy_note",
    "book_table",
]

ALL = "all"  # the filter value that keeps every notebook or profile
COLUMNS = [
    "notebook",
    "recipe",
    "profile",
    "n_train",
    "untrained",
    "trained",
    "book",
    "seconds",
    "busy",
]


def dashboard_filters() -> tuple[list[str], list[str]]:
    """The notebooks and the profiles that appear in the ledger, each sorted, ``ALL`` first."""
    records = read_ledger()
    notebooks = sorted({r["notebook"] for r in records if "notebook" in r})
    profiles = sorted({r["profile"] for r in records if "profile" in r})
    return [ALL, *notebooks], [ALL, *profiles]


def dashboard_table(
    *, notebook: str = ALL, profile: str = ALL, latest_only: bool = True
) -> pd.DataFrame:
    """Ledger runs of ``notebook`` and ``profile`` (``ALL`` = any) beside the book's scores.

    With ``latest_only`` the newest run of each recipe and profile is kept. Columns:
    notebook, recipe, profile, n_train, untrained, trained, book, seconds, busy.
    """
    table = ledger_table(
        notebook=None if notebook == ALL else notebook,
        profile=None if profile == ALL else profile,
        latest_only=latest_only,
    )
    if table.empty:
        return pd.DataFrame(columns=COLUMNS)
    return table[COLUMNS]


def dashboard_figure(table: pd.DataFrame, *, title: str = "STS-B validation") -> Figure | None:
    """The bar chart of a dashboard table, or ``None`` when the table is empty."""
    if table is None or table.empty:
        return None
    _, ax = plt.subplots(figsize=(min(14.0, max(5.0, 0.9 * len(table))), 4.0))
    return plot_ledger(table, ax=ax, title=title)


def busy_note(table: pd.DataFrame) -> str | None:
    """A warning when some of the table's times come from a busy machine, else ``None``."""
    if table is None or table.empty or "busy" not in table or not table["busy"].any():
        return None
    recipes = ", ".join(table.loc[table["busy"].astype(bool), "recipe"].astype(str))
    return (
        f"busy machine: {recipes} ended with a load average above the machine's core count, "
        "so other work slowed them; their seconds are not comparable with the other runs' "
        "(the scores are unaffected)"
    )


def book_table() -> pd.DataFrame:
    """The book's STS-B validation scores, one row per recipe."""
    return pd.DataFrame(
        [
            {
                "recipe": recipe,
                "spearman": scores.get("spearman_cosine"),
                "pearson": scores.get("pearson_cosine"),
            }
            for recipe, scores in BOOK_SCORES.items()
        ]
    )
