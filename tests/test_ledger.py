import json

import pytest

import embedlab as el
from embedlab.ledger import ledger_path


def _record(recipe="softmax", trained=0.5, **extra):
    return {
        "notebook": "02_softmax_loss",
        "recipe": recipe,
        "profile": "quick",
        "base_model": "standin-bert-tiny",
        "n_train": 10,
        "seconds": 1.25,
        "peak_memory_mb": 100.0,
        "untrained": {"spearman_cosine": 0.4, "pearson_cosine": 0.3},
        "trained": {"spearman_cosine": trained, "pearson_cosine": 0.4},
        "model_path": "runs/models/x",
        **extra,
    }


def test_records_append_and_read_back():
    el.record_run(_record(trained=0.5))
    el.record_run(_record(trained=0.6))
    records = el.read_ledger()
    assert [r["trained"]["spearman_cosine"] for r in records] == [0.5, 0.6]


def test_record_needs_the_required_keys():
    bad = _record()
    del bad["model_path"]
    with pytest.raises(ValueError, match="model_path"):
        el.record_run(bad)


def test_a_torn_last_line_does_not_lose_earlier_records():
    el.record_run(_record(trained=0.5))
    with open(ledger_path(), "a") as handle:
        handle.write('{"notebook": "02", "reci')  # a crash mid-write
    records = el.read_ledger()
    assert len(records) == 1 and records[0]["trained"]["spearman_cosine"] == 0.5
    lines = ledger_path().read_text().splitlines()
    assert json.loads(lines[0])["recipe"] == "softmax"


def test_table_keeps_the_latest_run_and_shows_the_book():
    el.record_run(_record(trained=0.5))
    el.record_run(_record(trained=0.6))
    el.record_run(_record(recipe="cosine", trained=0.7))
    table = el.ledger_table()
    assert list(table["recipe"]) == ["softmax", "cosine"]
    assert list(table["trained"]) == [0.6, 0.7]
    assert list(table["book"]) == [0.603, 0.725]
    assert len(el.ledger_table(latest_only=False)) == 3
    assert el.ledger_table(notebook="03_x").empty


def test_latest_run_finds_by_recipe_and_profile():
    el.record_run(_record(trained=0.5))
    assert el.latest_run("softmax", profile="quick")["trained"]["spearman_cosine"] == 0.5
    assert el.latest_run("softmax", profile="full") is None
