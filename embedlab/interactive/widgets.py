"""Thin ipywidgets shells over :mod:`~embedlab.interactive.knobs`, :mod:`~embedlab.interactive.explorers` and
:mod:`~embedlab.interactive.dashboard`: every callback reads the widgets, calls one plain function and
shows what it returned.

Displaying a shell runs no training; the Run button does. Results are written into an
``Output`` widget as ready-made outputs (text, PNG, HTML tables), so they show the same in
JupyterLab, in a saved notebook and in a test without a kernel.

>>> knob_panel(MNR_PANEL, profile)          # the knob panel notebook 04 builds
>>> similarity_explorer()                   # sentences x model -> cosine matrix
>>> embedding_explorer()                    # UMAP of a labelled set, one or two models
>>> results_dashboard()                     # the ledger, filtered, beside the book
"""

from __future__ import annotations

import base64
import html
import io
import logging
import time
from collections.abc import Callable
from typing import Any

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from transformers import TrainerCallback

from ..errors import EmbedlabError, InputError
from ..evaluation import check_evaluator
from ..plots import plot_map, similarity_heatmap
from ..profiles import Profile, get_profile
from ..settings import check_profile
from .dashboard import (
    ALL,
    book_table,
    busy_note,
    dashboard_figure,
    dashboard_filters,
    dashboard_table,
)
from .explorers import (
    ITEM_SETS,
    PRETRAINED,
    SAMPLE_SENTENCES,
    UNTRAINED,
    SimilarityView,
    embedding_maps,
    item_set,
    load_choice,
    model_choices,
    nearest_items,
    similarity_view,
)
from .knobs import (
    PanelOutcome,
    RecipeSpec,
    check_spec,
    knob_bounds,
    knob_default,
    run_knobs,
    validate_settings,
)

__all__ = [
    "StaticView",
    "LiveCurve",
    "KnobPanel",
    "SimilarityExplorer",
    "EmbeddingExplorer",
    "ResultsDashboard",
    "knob_panel",
    "similarity_explorer",
    "embedding_explorer",
    "results_dashboard",
]

log = logging.getLogger(__name__)
NONE = "(none)"
_WIDE = {"description_width": "120px"}


# Outputs as plain nbformat dicts: they need no running kernel to be set or read.
def _text(text: str) -> dict[str, Any]:
    return {"output_type": "stream", "name": "stdout", "text": text.rstrip("\n") + "\n"}


def _figure(fig: Figure) -> dict[str, Any]:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=90, bbox_inches="tight")
    plt.close(fig)
    png = base64.b64encode(buffer.getvalue()).decode("ascii")
    return {
        "output_type": "display_data",
        "data": {"image/png": png, "text/plain": "<Figure>"},
        "metadata": {},
    }


def _table(table: pd.DataFrame) -> dict[str, Any]:
    return {
        "output_type": "display_data",
        "data": {"text/html": table.to_html(index=False), "text/plain": table.to_string()},
        "metadata": {},
    }


def _message(widget: widgets.HTML, text: str, *, error: bool = False) -> None:
    colour = "#b00020" if error else "#2e7d32"
    widget.value = f'<span style="color:{colour}">{html.escape(text)}</span>' if text else ""


def _short(text: str, width: int = 70) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _attempt(message: widgets.HTML, action: Callable[[], Any]) -> Any:
    """Run ``action``; an embedlab error becomes the panel's message and returns ``None``."""
    try:
        return action()
    except EmbedlabError as error:
        _message(message, str(error), error=True)
        return None


def _slider(box: widgets.ValueWidget, kind: str, low: float, high: float) -> widgets.ValueWidget:
    """A slider over [low, high] that sets ``box``, and follows it while ``box`` is in range
    (a value typed out of range stays in the box, where the panel reports it)."""
    if kind == "int":
        slider = widgets.IntSlider(min=int(low), max=int(high), value=int(box.value))
    elif low > 0 and high / low >= 100:  # learning rates: even steps in the exponent
        slider = widgets.FloatLogSlider(
            base=10, min=np.log10(low), max=np.log10(high), value=box.value, step=0.1
        )
    else:
        slider = widgets.FloatSlider(min=low, max=high, value=box.value, step=(high - low) / 100)
    slider.readout, slider.continuous_update = False, False
    slider.layout = widgets.Layout(width="300px")

    def follow_box(change: dict) -> None:
        value = change["new"]
        if isinstance(value, (int, float)) and low <= value <= high and slider.value != value:
            slider.value = value

    def set_box(change: dict) -> None:
        if box.value != change["new"]:
            box.value = change["new"]

    box.observe(follow_box, names="value")
    slider.observe(set_box, names="value")
    return slider


class LiveCurve(TrainerCallback):
    """Draws the training loss and the STS-B Spearman against the step into ``area`` while a
    run trains (at most every ``every`` seconds, and at the end)."""

    def __init__(self, area: widgets.Output, every: float = 2.0) -> None:
        self.area, self.every = area, every
        self.losses: list[tuple[int, float]] = []
        self.scores: list[tuple[int, float]] = []
        self._drawn = 0.0

    def on_train_begin(self, args, state, control, **kwargs):
        self.losses, self.scores, self._drawn = [], [], 0.0

    def on_log(self, args, state, control, logs=None, **kwargs):
        if logs and "loss" in logs:
            self.losses.append((state.global_step, float(logs["loss"])))
            self.draw()

    def on_evaluate(self, args, state, control, metrics=None, **kwargs):
        found = [v for k, v in (metrics or {}).items() if k.endswith("spearman_cosine")]
        if found:
            self.scores.append((state.global_step, float(found[0])))
            self.draw(force=True)

    def on_train_end(self, args, state, control, **kwargs):
        self.draw(force=True)

    def draw(self, force: bool = False) -> None:
        now = time.perf_counter()
        if not (self.losses or self.scores) or (not force and now - self._drawn < self.every):
            return
        self._drawn = now
        fig, ax = plt.subplots(figsize=(6, 2.4))
        if self.losses:
            ax.plot(*zip(*self.losses), color="#1f77b4", label="training loss")
        ax.set(xlabel="step", ylabel="training loss")
        if self.scores:
            right = ax.twinx()
            right.plot(*zip(*self.scores), color="#ff7f0e", marker="o", label="STS-B Spearman")
            right.set_ylabel("STS-B Spearman")
        fig.legend(loc="upper center", ncol=2, fontsize=8, frameon=False)
        self.area.outputs = (_figure(fig),)


class StaticView:
    """A widget that also stores a static picture of what it shows, for viewers that cannot
    run widgets (GitHub, nbviewer, a projector before the kernel starts).

    Its display bundle keeps the live widget (JupyterLab shows that) and adds HTML: a title,
    a line saying it is live, and the figures, tables and text its output areas hold now.
    """

    static_title = "a live widget"

    def static_outputs(self) -> list[dict[str, Any]]:
        """The outputs to picture (by default those of the widget's output areas)."""
        return [o for area in self._output_areas() for o in area.outputs]

    def static_notes(self) -> str:
        """HTML shown above the outputs (e.g. a knob panel's settings)."""
        return ""

    def _output_areas(self) -> list[widgets.Output]:
        return [w for w in vars(self).values() if isinstance(w, widgets.Output)]

    def static_html(self) -> str:
        parts = [
            f"<p><b>{html.escape(self.static_title)}</b> · <i>an interactive widget: run the "
            "notebook to use it; below is what it shows now</i></p>",
            self.static_notes(),
        ]
        for output in self.static_outputs():
            data = output.get("data", {})
            if "image/png" in data:
                parts.append(f'<img src="data:image/png;base64,{data["image/png"]}"/>')
            elif "text/html" in data:
                parts.append(data["text/html"])
            elif output.get("output_type") == "stream":
                parts.append(f"<pre>{html.escape(output['text'])}</pre>")
        return "\n".join(part for part in parts if part)

    def _repr_mimebundle_(self, **kwargs):
        live = getattr(super(), "_repr_mimebundle_", None)  # ipywidgets 8
        bundle = live(**kwargs) if live is not None else self._widget_view()
        if bundle is not None:
            bundle["text/html"] = self.static_html()
            bundle["text/plain"] = f"{self.static_title} (interactive: run the notebook to use it)"
        return bundle

    def _widget_view(self) -> dict[str, Any] | None:
        """The live widget's output as ipywidgets 7 (Colab's) writes it."""
        if getattr(self, "_view_name", None) is None:
            return None
        view = {"version_major": 2, "version_minor": 0, "model_id": self._model_id}
        return {"application/vnd.jupyter.widget-view+json": view}

    if not hasattr(widgets.Widget, "_repr_mimebundle_"):  # ipywidgets 7 displays itself

        def _ipython_display_(self, **kwargs) -> None:
            from IPython.display import display

            display(self._repr_mimebundle_(), raw=True)


class KnobPanel(StaticView, widgets.VBox):
    """A recipe's knobs, a Run button, a progress bar and the outcome of the last run."""

    def __init__(
        self,
        recipe: RecipeSpec,
        profile: Profile | None = None,
        *,
        notebook: str | None = None,
        map_points: int | None = None,
        evaluator=None,
    ) -> None:
        self.spec = check_spec(recipe)
        self.profile = get_profile() if profile is None else check_profile(profile, "knob_panel")
        check_evaluator(evaluator, "evaluator")
        self.notebook, self.map_points, self.evaluator = notebook, map_points, evaluator
        self.last_outcome: PanelOutcome | None = None
        self.controls: dict[str, widgets.ValueWidget] = {}
        rows = []
        for knob in self.spec.knobs:
            default = knob_default(knob, self.profile)
            if knob.kind == "choice":
                control = widgets.Dropdown(options=list(knob.choices), value=default)
                hint = ""
                slider = None
            else:
                low, high = knob_bounds(knob, self.profile)
                kind = widgets.IntText if knob.kind == "int" else widgets.FloatText
                control = kind(value=default)
                hint = f"{low:g} to {high:g}"
                slider = _slider(control, knob.kind, low, high)
            control.description, control.style = knob.label, _WIDE
            control.layout = widgets.Layout(width="300px")
            control.add_class(f"embedlab-knob-{knob.name}")
            control.observe(self._on_change, names="value")
            self.controls[knob.name] = control
            note = " · ".join(part for part in (hint, html.escape(knob.help)) if part)
            setting = control if slider is None else widgets.VBox([control, slider])
            rows.append(widgets.HBox([setting, widgets.HTML(f"<small>{note}</small>")]))
        self.run_button = widgets.Button(description="Run", button_style="primary", icon="play")
        self.run_button.add_class("embedlab-run")
        self.run_button.on_click(lambda _: self.run())
        self.progress = widgets.IntProgress(value=0, min=0, max=1, description="steps")
        self.steps = widgets.Label("")
        self.message = widgets.HTML()
        self.message.add_class("embedlab-message")
        self.outcome = widgets.Output()
        self.outcome.add_class("embedlab-outcome")
        self.previous = widgets.Output()  # the run before, beside the last one
        self.previous.add_class("embedlab-previous")
        self.curve = widgets.Output()  # loss and STS-B, redrawn while a run trains
        self.curve.add_class("embedlab-curve")
        title = widgets.HTML(
            f"<b>{html.escape(self.spec.title)}</b> · profile <i>{self.profile.name}</i>"
        )
        bar = widgets.HBox([self.run_button, self.progress, self.steps])
        outcomes = widgets.HBox([self.outcome, self.previous])
        super().__init__([title, *rows, bar, self.message, self.curve, outcomes])
        self.add_class("embedlab-knob-panel")
        self.static_title = f"Knob panel: {self.spec.title} (profile {self.profile.name})"

    def static_notes(self) -> str:
        """The knobs as a table: setting, value now, range or choices, what it teaches."""
        rows = []
        for knob in self.spec.knobs:
            if knob.kind == "choice":
                allowed = ", ".join(map(str, knob.choices))
            else:
                low, high = knob_bounds(knob, self.profile)
                allowed = f"{low:g} to {high:g}"
            value = self.controls[knob.name].value
            rows.append(
                {
                    "setting": knob.label,
                    "value": value,
                    "allowed": allowed,
                    "what it teaches": knob.help,
                }
            )
        note = (
            "<p>Run trains with these settings, scores STS-B before and after and records "
            "the run in the ledger; showing the panel trains nothing.</p>"
        )
        return pd.DataFrame(rows).to_html(index=False) + note

    def settings(self) -> dict[str, Any]:
        """The knob values as they stand in the widgets."""
        return {name: control.value for name, control in self.controls.items()}

    def _on_change(self, _change: dict) -> None:
        try:
            validate_settings(self.spec, self.settings(), self.profile)
            _message(self.message, "")
        except InputError as error:
            _message(self.message, str(error), error=True)

    def _report(self, step: int, total: int) -> None:
        self.progress.max = max(1, total)
        self.progress.value = min(step, self.progress.max)
        self.steps.value = f"{step}/{total}"

    def run(self) -> PanelOutcome | None:
        """What Run does: validate, train through run_knobs, show the outcome in place."""
        try:
            settings = validate_settings(self.spec, self.settings(), self.profile)
        except InputError as error:
            _message(self.message, str(error), error=True)
            return None  # nothing trained, the outcome area unchanged
        self.run_button.disabled = True
        _message(self.message, "training... (the outcome below updates when it is done)")
        try:
            outcome = _attempt(
                self.message,
                lambda: run_knobs(
                    self.spec,
                    settings,
                    self.profile,
                    notebook=self.notebook,
                    progress=self._report,
                    map_points=self.map_points,
                    evaluator=self.evaluator,
                    callbacks=[LiveCurve(self.curve)],
                ),
            )
        except Exception as error:  # an unexpected failure: say so in the panel, then raise
            _message(self.message, f"the run failed: {error!r}", error=True)
            raise
        finally:
            self.run_button.disabled = False
        if outcome is not None:
            if self.last_outcome is not None:  # keep the run before beside the new one
                self.previous.outputs = (_text("the run before:"), *self.outcome.outputs)
            self.last_outcome = outcome
            self.outcome.outputs = tuple(_outcome_outputs(outcome))
            _message(self.message, f"done: recorded as {outcome.result.recipe!r} in the ledger")
        return outcome


def _outcome_outputs(outcome: PanelOutcome) -> list[dict[str, Any]]:
    outputs = [_text(outcome.summary())]
    if outcome.maps and outcome.map_set is not None:
        shown = [when for when in ("before", "after") if when in outcome.maps]
        fig, axes = plt.subplots(1, len(shown), figsize=(5 * len(shown), 4), squeeze=False)
        for ax, when in zip(axes[0], shown):
            plot_map(
                outcome.maps[when],
                outcome.map_set.labels,
                ax=ax,
                label_names=outcome.map_set.label_names,
                title=f"{outcome.map_set.title}, {when} training",
            )
        outputs.append(_figure(fig))
    record = outcome.result.record
    row = {key: record.get(key) for key in ("notebook", "recipe", "profile", "n_train", "epochs")}
    row.update(
        batch_size=record.get("batch_size"),
        learning_rate=record.get("learning_rate"),
        untrained=record["untrained"].get("spearman_cosine"),
        trained=record["trained"].get("spearman_cosine"),
        seconds=record.get("seconds"),
    )
    outputs.append(_table(pd.DataFrame([row])))
    return outputs


class SimilarityExplorer(StaticView, widgets.VBox):
    """Sentences (one per line) and a model -> cosine heat-map and nearest neighbours."""

    static_title = "Similarity explorer: cosine of each pair of sentences under one model"

    def __init__(self, sentences=SAMPLE_SENTENCES, *, model: str = PRETRAINED, show: bool = True):
        self.text = widgets.Textarea(
            value="\n".join(sentences),
            description="sentences",
            rows=max(4, len(sentences)),
            layout=widgets.Layout(width="640px"),
            style=_WIDE,
        )
        self.model = widgets.Dropdown(
            options=list(model_choices()),
            value=model,
            description="model",
            style=_WIDE,
            layout=widgets.Layout(width="640px"),
        )
        self.button = widgets.Button(description="Compare", icon="refresh")
        self.button.on_click(lambda _: self.update())
        self.model.observe(lambda _: self._updating or self.update(), names="value")
        self._updating = False
        self.message = widgets.HTML()
        self.output = widgets.Output()
        super().__init__([self.text, self.model, self.button, self.message, self.output])
        if show:
            self.update()

    def update(self) -> SimilarityView | None:
        """Re-read the model list, embed the sentences, show the matrix and neighbours."""
        self._updating = True
        self.model.options = _keep(self.model.value, list(model_choices()))
        self._updating = False
        _message(self.message, "")
        model = _attempt(self.message, lambda: load_choice(self.model.value))
        if model is None:
            return None
        view = _attempt(self.message, lambda: similarity_view(model, self.text.value))
        if view is not None:
            fig = similarity_heatmap(model, view.sentences, title=_short(self.model.value, 60))
            self.output.outputs = (_figure(fig), _text("nearest neighbours:\n" + view.describe()))
        return view


def _keep(value: str, options: list[str]) -> list[str]:
    return options if value in options else [value, *options]


class EmbeddingExplorer(StaticView, widgets.VBox):
    """A labelled set of texts mapped with UMAP under one or two models, side by side.

    Static maps have no hover; instead pick an item under "find": it is starred on each map
    and its nearest neighbours in each model's embedding space are listed with their text.
    """

    static_title = "Embedding explorer: a labelled set of texts mapped under two models"

    def __init__(
        self,
        *,
        items: str = "toy reviews · sentiment",
        model_a: str = PRETRAINED,
        model_b: str = UNTRAINED,
        n_points: int | None = None,
        profile: Profile | None = None,
        show: bool = True,
    ) -> None:
        self.profile = profile or get_profile()
        choices = list(model_choices())
        box = {"style": _WIDE, "layout": widgets.Layout(width="520px")}
        self.items = widgets.Dropdown(
            options=list(ITEM_SETS), value=items, description="texts", **box
        )
        self.model_a = widgets.Dropdown(options=choices, value=model_a, description="model", **box)
        self.model_b = widgets.Dropdown(
            options=[NONE, *choices], value=model_b, description="beside it", **box
        )
        high = max(50, self.profile.umap_points)
        self.n_points = widgets.IntSlider(
            value=n_points or min(200, high), min=20, max=high, step=10, description="points", **box
        )
        self.button = widgets.Button(description="Draw", icon="refresh")
        self.button.on_click(lambda _: self.draw())
        self.find = widgets.Dropdown(options=[(NONE, -1)], value=-1, description="find", **box)
        self.find.observe(lambda change: self._drawing or self.select(change["new"]), names="value")
        self._drawing = False
        self.message = widgets.HTML()
        self.output = widgets.Output()
        self.details = widgets.Output()
        self.current: tuple[Any, dict[str, tuple[np.ndarray, np.ndarray]]] | None = None
        controls = [self.items, self.model_a, self.model_b, self.n_points, self.button]
        super().__init__([*controls, self.message, self.output, self.find, self.details])
        if show:
            self.draw()

    def draw(self):
        """Build the chosen item set, embed it with the chosen models and map it."""
        _message(self.message, "")
        choices = list(model_choices())
        self.model_a.options = _keep(self.model_a.value, choices)
        self.model_b.options = _keep(self.model_b.value, [NONE, *choices])  # no observers here
        names = [self.model_a.value] + ([self.model_b.value] if self.model_b.value != NONE else [])

        def compute():
            items = item_set(self.items.value, self.n_points.value)
            models = {
                name: load_choice(name, profile=self.profile) for name in dict.fromkeys(names)
            }
            return items, embedding_maps(items, models, seed=self.profile.seed)

        computed = _attempt(self.message, compute)
        if computed is None:
            return None
        self.current = computed
        items = computed[0]
        self._drawing = True
        self.find.options = [(NONE, -1)] + [(_short(t), i) for i, t in enumerate(items.texts)]
        self.find.value = -1
        self._drawing = False
        self._show(-1)
        return computed

    def select(self, index: int) -> list[str]:
        """Star item ``index`` on the maps and list its nearest neighbours under each model."""
        return self._show(index)

    def _show(self, index: int) -> list[str]:
        if self.current is None:
            return []
        items, maps = self.current
        fig, axes = plt.subplots(1, len(maps), figsize=(5.5 * len(maps), 4.5), squeeze=False)
        lines = []
        for ax, (name, (coords, features)) in zip(axes[0], maps.items()):
            plot_map(
                coords, items.labels, ax=ax, label_names=items.label_names, title=_short(name, 50)
            )
            if index >= 0:
                ax.scatter(*coords[index], s=220, marker="*", color="black", zorder=5)
                ax.annotate(
                    _short(items.texts[index], 40),
                    coords[index],
                    fontsize=8,
                    xytext=(6, 6),
                    textcoords="offset points",
                )
                near = nearest_items(features, index, k=3)
                lines.append(f"{name}:")
                lines += [f"  {cos:.2f}  {items.texts[j]}" for j, cos in near]
        self.output.outputs = (_figure(fig),)
        if index >= 0:
            lines.insert(0, f"{items.texts[index]}  [{items.labels[index]}]")
            lines.insert(1, "nearest neighbours (cosine in the full embedding space):")
        self.details.outputs = (_text("\n".join(lines)),) if lines else ()
        return lines


class ResultsDashboard(StaticView, widgets.VBox):
    """Every ledger run in one table and chart beside the book, by notebook and profile."""

    static_title = "Results dashboard: every recorded run beside the book"

    def __init__(self, *, notebook: str = ALL, profile: str = ALL, show: bool = True) -> None:
        notebooks, profiles = dashboard_filters()
        self.notebook = widgets.Dropdown(
            options=_keep(notebook, notebooks), value=notebook, description="notebook", style=_WIDE
        )
        self.profile = widgets.Dropdown(
            options=_keep(profile, profiles), value=profile, description="profile", style=_WIDE
        )
        self.latest = widgets.Checkbox(value=True, description="newest run of each recipe only")
        self.button = widgets.Button(description="Refresh", icon="refresh")
        self.button.on_click(lambda _: self.update())
        self._updating = False
        for control in (self.notebook, self.profile, self.latest):
            control.observe(lambda _: self._updating or self.update(), names="value")
        self.output = widgets.Output()
        controls = widgets.HBox([self.notebook, self.profile, self.latest, self.button])
        super().__init__([controls, self.output])
        if show:
            self.update()

    def update(self) -> pd.DataFrame:
        """Re-read the ledger and show the filtered table, its chart and the book's scores."""
        notebooks, profiles = dashboard_filters()
        self._updating = True
        self.notebook.options = _keep(self.notebook.value, notebooks)
        self.profile.options = _keep(self.profile.value, profiles)
        self._updating = False
        table = dashboard_table(
            notebook=self.notebook.value, profile=self.profile.value, latest_only=self.latest.value
        )
        if table.empty:
            outputs = [_text("no runs recorded for this choice yet: run a training notebook")]
        else:
            outputs = [_table(table.round(3))]
            if note := busy_note(table):
                outputs.append(_text(note))
            fig = dashboard_figure(table)
            outputs.append(_figure(fig))
        outputs += [_text("the book's STS-B validation scores:"), _table(book_table())]
        self.output.outputs = tuple(outputs)
        return table


def knob_panel(
    recipe: RecipeSpec,
    profile: Profile | None = None,
    *,
    notebook: str | None = None,
    map_points: int | None = None,
    evaluator=None,
) -> KnobPanel:
    """A knob panel for ``recipe``; Run trains.

    Args:
        recipe: the panel's :class:`~embedlab.interactive.knobs.RecipeSpec`, which a notebook
            builds in the cell above from its own data and ``#@save`` trainer.
        profile: bounds and defaults come from it (default: the active profile).
        notebook: the ledger's notebook field (default: the recipe's notebook).
        map_points: validation items mapped before/after (0 = no maps).
        evaluator: default STS-B validation; a demo may pass a smaller one.
    """
    return KnobPanel(recipe, profile, notebook=notebook, map_points=map_points, evaluator=evaluator)


def similarity_explorer(
    sentences=SAMPLE_SENTENCES, *, model: str = PRETRAINED, show: bool = True
) -> SimilarityExplorer:
    """Type sentences, pick a model (pretrained, untrained or any in the ledger), compare."""
    return SimilarityExplorer(sentences, model=model, show=show)


def embedding_explorer(
    *,
    items: str = "toy reviews · sentiment",
    model_a: str = PRETRAINED,
    model_b: str = UNTRAINED,
    n_points: int | None = None,
    profile: Profile | None = None,
    show: bool = True,
) -> EmbeddingExplorer:
    """UMAP maps of a labelled set of texts (see :data:`embedlab.interactive.explorers.ITEM_SETS`)."""
    return EmbeddingExplorer(
        items=items, model_a=model_a, model_b=model_b, n_points=n_points, profile=profile, show=show
    )


def results_dashboard(*, notebook: str = ALL, profile: str = ALL, show: bool = True):
    """The ledger's runs in a table and chart, filterable by notebook and profile."""
    return ResultsDashboard(notebook=notebook, profile=profile, show=show)
