"""The widget shells, driven as a learner would: set values, click, read the Output."""

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import ipywidgets as widgets
import pytest
from test_knobs import _hard, _rows, cosine_panel, mnr_panel

import embedlab as el
from embedlab.evaluation import stsb_evaluator
from embedlab.interactive.explorers import UNTRAINED
from embedlab.interactive.knobs import validate_settings

QUICK = el.profiles.QUICK


def _mnr_panel():
    """Notebook 04's panel cell on 400 rows' soft triplets and 64 hard ones."""
    return el.knob_panel(mnr_panel(el.data.mnr_triplets(_rows(400)), _hard(64)), QUICK)


def _kinds(output):
    """What an Output widget shows: 'text' or the mime types of each output."""
    return ["text" if o["output_type"] == "stream" else sorted(o["data"]) for o in output.outputs]


def test_knob_panel_has_one_control_per_knob_with_its_bounds():
    panel = _mnr_panel()
    assert list(panel.controls) == [
        "negatives",
        "n_pairs",
        "epochs",
        "batch_size",
        "learning_rate",
    ]
    assert isinstance(panel.controls["negatives"], widgets.Dropdown)
    triplets = len(el.data.mnr_triplets(_rows(400)))  # notebook 04's soft triplets: the bound
    assert panel.controls["n_pairs"].value == 64  # the anchors every set shares: the default
    assert f"32 to {triplets}" in panel.children[2].children[1].value
    assert panel.settings() == validate_settings(panel.spec, {}, QUICK)


def test_knob_panel_refuses_bad_settings_and_changes_nothing():
    panel = _mnr_panel()
    panel.controls["batch_size"].value = 128
    panel.controls["n_pairs"].value = 100  # fewer pairs than a batch
    assert "larger than the 100 training pairs" in panel.message.value
    panel.run_button.click()
    assert "larger than the 100 training pairs" in panel.message.value
    panel.controls["batch_size"].value = 32
    assert panel.message.value == ""
    panel.controls["batch_size"].value = 5000
    panel.run_button.click()
    assert "out of range" in panel.message.value
    assert panel.outcome.outputs == () and panel.last_outcome is None
    assert el.training.ledger.read_ledger() == []


def test_knob_panel_run_trains_through_its_recipe_and_shows_the_outcome_in_place():
    """A click runs run_knobs -> the panel's plan -> notebook 03's cosine_trainer, recorded."""
    spec = cosine_panel(el.data.cosine_pairs(_rows(400)))  # notebook 03's panel cell
    panel = el.knob_panel(
        spec, el.profiles.QUICK, map_points=16, evaluator=stsb_evaluator(rows=list(range(200)))
    )
    panel.controls["loss"].value = "cosent"
    panel.controls["n_pairs"].value = 48
    panel.controls["batch_size"].value = 16
    panel.run_button.click()
    assert "recorded as 'panel-cosent'" in panel.message.value.replace("&#x27;", "'")
    assert (panel.progress.value, panel.progress.max, panel.steps.value) == (3, 3, "3/3")
    assert _kinds(panel.outcome) == [
        "text",
        ["image/png", "text/plain"],
        ["text/html", "text/plain"],
    ]
    assert "loss cosent, n_pairs 48" in panel.outcome.outputs[0]["text"]
    assert "STS-B Spearman" in panel.outcome.outputs[0]["text"]
    assert "panel-cosent" in panel.outcome.outputs[2]["data"]["text/plain"]
    assert not panel.run_button.disabled
    (record,) = el.training.ledger.read_ledger()
    assert record["recipe"] == "panel-cosent" and record["notebook"] == "03_cosine_similarity_loss"
    assert record["source"] == "knob panel" and record["settings"]["loss"] == "cosent"
    assert (record["n_train"], record["batch_size"], record["epochs"]) == (48, 16, 1)
    assert panel.previous.outputs == ()  # one run: nothing beside it yet
    assert _kinds(panel.curve) == [["image/png", "text/plain"]]  # drawn while it trained
    assert Path(record["model_path"], "modules.json").is_file()
    outcome = panel.last_outcome
    assert outcome.result.steps == 3 and outcome.result.trained != outcome.result.untrained
    assert outcome.maps["before"].shape == outcome.maps["after"].shape == (16, 2)
    panel.controls["batch_size"].value = 24
    panel.run_button.click()
    assert panel.previous.outputs[0]["text"].startswith("the run before")
    assert "batch_size 16" in panel.previous.outputs[1]["text"]
    assert "batch_size 24" in panel.outcome.outputs[0]["text"]


def test_similarity_explorer_updates_on_compare():
    explorer = el.interactive.widgets.similarity_explorer(["one", "two"], model=UNTRAINED)
    assert _kinds(explorer.output) == [["image/png", "text/plain"], "text"]
    explorer.text.value = "A cat sits on the mat.\nA kitten rests on a rug.\nStocks fell."
    explorer.button.click()
    assert "'Stocks fell.' ->" in explorer.output.outputs[1]["text"]
    explorer.text.value = "only one sentence"
    explorer.button.click()
    assert "at least two different sentences" in explorer.message.value
    assert "'Stocks fell.' ->" in explorer.output.outputs[1]["text"]  # the last good result stays


def test_embedding_explorer_draws_and_finds_a_point():
    explorer = el.interactive.widgets.embedding_explorer(
        model_a=UNTRAINED, model_b="(none)", n_points=20
    )
    assert _kinds(explorer.output) == [["image/png", "text/plain"]]
    assert len(explorer.find.options) == 21  # "(none)" and 20 reviews
    explorer.find.value = 2
    text = explorer.details.outputs[0]["text"]
    assert text.startswith(
        el.interactive.explorers.item_set("toy reviews · sentiment", 20).texts[2]
    )
    assert f"{UNTRAINED}:" in text and text.count("\n  ") == 3
    explorer.items.value = "MNLI validation pairs · NLI label"
    explorer.button.click()
    assert "<->" in explorer.find.options[1][0] and explorer.details.outputs == ()


@pytest.mark.parametrize("notebook", ["02_softmax_loss", "03_cosine_similarity_loss"])
def test_results_dashboard_filters_by_notebook(notebook):
    for book, recipe in [("02_softmax_loss", "softmax"), ("03_cosine_similarity_loss", "cosine")]:
        el.training.ledger.record_run(
            {
                "notebook": book,
                "recipe": recipe,
                "profile": "quick",
                "base_model": "standin-bert-tiny",
                "n_train": 100,
                "seconds": 1.0,
                "peak_memory_mb": 1.0,
                "untrained": {"spearman_cosine": 0.5},
                "trained": {"spearman_cosine": 0.6},
                "model_path": "",
            }
        )
    dashboard = el.interactive.widgets.results_dashboard()
    assert "cosine" in dashboard.output.outputs[0]["data"]["text/plain"]
    dashboard.notebook.value = notebook
    shown = dashboard.output.outputs[0]["data"]["text/plain"]
    other = "03_cosine_similarity_loss" if notebook.startswith("02") else "02_softmax_loss"
    assert notebook in shown and other not in shown
    assert _kinds(dashboard.output)[1] == ["image/png", "text/plain"]


def test_widgets_store_a_static_picture_beside_the_live_widget():
    panel = _mnr_panel()
    bundle = panel._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle  # the live widget stays
    assert "Knob panel" in bundle["text/plain"] and "VBox" not in bundle["text/plain"]
    page = bundle["text/html"]
    assert "interactive widget" in page and "batch size" in page.lower()
    assert f"32 to {len(el.data.mnr_triplets(_rows(400)))}" in page
    dashboard = el.interactive.widgets.results_dashboard()
    assert "no runs recorded" in dashboard._repr_mimebundle_()["text/html"]


def test_numeric_knobs_have_sliders_that_set_the_box_and_follow_it_in_range():
    panel = _mnr_panel()
    box = panel.controls["batch_size"]
    slider = panel.children[4].children[0].children[1]  # the batch-size row: box over slider
    assert isinstance(slider, widgets.IntSlider) and (slider.min, slider.max) == (2, 256)
    slider.value = 64
    assert box.value == 64 and panel.message.value == ""
    box.value = 5000  # typed out of range: the box keeps it, the panel says so
    assert slider.value == 64 and "out of range" in panel.message.value
    rate = panel.children[5].children[0].children[1]
    assert isinstance(rate, widgets.FloatLogSlider)
