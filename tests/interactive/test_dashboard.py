import matplotlib

matplotlib.use("Agg")

import embedlab as el
from embedlab.interactive.dashboard import ALL, book_table, dashboard_figure, dashboard_filters


def _record(notebook, recipe, profile, trained):
    return {
        "notebook": notebook,
        "recipe": recipe,
        "profile": profile,
        "base_model": "standin-bert-tiny",
        "n_train": 100,
        "seconds": 2.0,
        "peak_memory_mb": 10.0,
        "untrained": {"spearman_cosine": 0.5},
        "trained": {"spearman_cosine": trained},
        "model_path": "",
    }


def _fill():
    el.training.ledger.record_run(_record("02_softmax_loss", "softmax", "quick", 0.55))
    el.training.ledger.record_run(_record("03_cosine_similarity_loss", "cosine", "quick", 0.60))
    el.training.ledger.record_run(
        _record("03_cosine_similarity_loss", "cosine", "quick", 0.65)
    )  # a newer run
    el.training.ledger.record_run(_record("02_softmax_loss", "softmax", "full", 0.58))


def test_empty_ledger_gives_an_empty_table_and_no_chart():
    assert dashboard_filters() == ([ALL], [ALL])
    table = el.interactive.dashboard.dashboard_table()
    assert table.empty and "trained" in table.columns
    assert dashboard_figure(table) is None


def test_filters_list_what_the_ledger_holds():
    _fill()
    notebooks, profiles = dashboard_filters()
    assert notebooks == [ALL, "02_softmax_loss", "03_cosine_similarity_loss"]
    assert profiles == [ALL, "full", "quick"]


def test_table_filters_by_notebook_and_profile_beside_the_book():
    _fill()
    assert len(el.interactive.dashboard.dashboard_table()) == 3
    assert len(el.interactive.dashboard.dashboard_table(latest_only=False)) == 4
    quick = el.interactive.dashboard.dashboard_table(profile="quick")
    assert list(quick["recipe"]) == ["softmax", "cosine"]
    assert list(quick["trained"]) == [0.55, 0.65]  # the newest cosine run
    assert list(quick["book"]) == [0.603, 0.725]
    softmax = el.interactive.dashboard.dashboard_table(notebook="02_softmax_loss")
    assert list(softmax["profile"]) == ["quick", "full"]
    assert el.interactive.dashboard.dashboard_table(
        notebook="02_softmax_loss", profile="nowhere"
    ).empty


def test_chart_has_untrained_trained_and_book_bars():
    _fill()
    fig = dashboard_figure(el.interactive.dashboard.dashboard_table(profile="quick"))
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["untrained", "trained", "book"]
    assert len(ax.patches) == 3 * 2
    assert book_table().set_index("recipe").loc["mnr-soft", "spearman"] == 0.812


def test_times_from_a_busy_machine_are_flagged_with_a_note():
    from embedlab.interactive.dashboard import busy_note

    idle = {**_record("02_softmax_loss", "softmax", "quick", 0.55), "load_average": 1.2, "cores": 2}
    busy = {**_record("03_cosine_similarity_loss", "cosine", "quick", 0.6), "load_average": 5.8}
    el.training.ledger.record_run(idle)
    el.training.ledger.record_run({**busy, "cores": 2})
    el.training.ledger.record_run(
        _record("04_mnr_loss_and_hard_negatives", "mnr-soft", "quick", 0.6)
    )
    table = el.interactive.dashboard.dashboard_table()
    assert dict(zip(table["recipe"], table["busy"], strict=True)) == {
        "softmax": False,
        "cosine": True,
        "mnr-soft": False,  # an older record without the figures
    }
    note = busy_note(table)
    assert note.startswith("busy machine: cosine ended with a load average above")
    assert busy_note(table[table["recipe"] != "cosine"]) is None
    panel = el.interactive.widgets.ResultsDashboard(show=False)
    panel.update()
    texts = [str(o) for o in panel.output.outputs]
    assert any("busy machine: cosine" in t for t in texts)
