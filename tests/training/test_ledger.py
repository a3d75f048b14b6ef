import json

import pytest

import embedlab as el
from embedlab.training.ledger import ledger_path


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
    el.training.ledger.record_run(_record(trained=0.5))
    el.training.ledger.record_run(_record(trained=0.6))
    records = el.training.ledger.read_ledger()
    assert [r["trained"]["spearman_cosine"] for r in records] == [0.5, 0.6]


def test_record_needs_the_required_keys():
    bad = _record()
    del bad["model_path"]
    with pytest.raises(ValueError, match="model_path"):
        el.training.ledger.record_run(bad)


def test_a_torn_last_line_does_not_lose_earlier_records():
    el.training.ledger.record_run(_record(trained=0.5))
    with open(ledger_path(), "a") as handle:
        handle.write('{"notebook": "02", "reci')  # a crash mid-write
    records = el.training.ledger.read_ledger()
    assert len(records) == 1 and records[0]["trained"]["spearman_cosine"] == 0.5
    lines = ledger_path().read_text().splitlines()
    assert json.loads(lines[0])["recipe"] == "softmax"


def test_table_keeps_the_latest_run_and_shows_the_book():
    el.training.ledger.record_run(_record(trained=0.5))
    el.training.ledger.record_run(_record(trained=0.6))
    el.training.ledger.record_run(_record(recipe="cosine", trained=0.7))
    table = el.ledger_table()
    assert list(table["recipe"]) == ["softmax", "cosine"]
    assert list(table["trained"]) == [0.6, 0.7]
    assert list(table["book"]) == [0.603, 0.725]
    assert len(el.ledger_table(latest_only=False)) == 3
    assert el.ledger_table(notebook="03_x").empty


def test_latest_run_finds_by_recipe_and_profile():
    el.training.ledger.record_run(_record(trained=0.5))
    assert (
        el.training.ledger.latest_run("softmax", profile="quick")["trained"]["spearman_cosine"]
        == 0.5
    )
    assert el.training.ledger.latest_run("softmax", profile="full") is None


# --- faults: wrong types, torn lines, concurrent appends (issue 15) ------------------------


def test_record_run_refuses_wrong_types_and_writes_nothing():
    with pytest.raises(el.errors.InputError) as refused:
        el.training.ledger.record_run(_record(seconds="fast", n_train=True, trained=None))
    message = str(refused.value)
    assert "ledger record refused" in message and "nothing was written" in message
    assert "'seconds' must be a number >= 0, got 'fast'" in message
    assert "'n_train' must be a whole number >= 0, got True" in message
    with pytest.raises(el.errors.InputError, match="JSON object"):
        el.training.ledger.record_run(None)
    assert not ledger_path().exists()


def test_numpy_numbers_are_written_as_numbers():
    import numpy as np

    el.training.ledger.record_run(_record(seconds=np.float32(2.5), n_train=np.int64(7)))
    (record,) = el.training.ledger.read_ledger()
    assert record["seconds"] == 2.5 and record["n_train"] == 7


WRONG_LINES = ["null", "[1, 2]", '"text"', json.dumps({"recipe": "softmax"})]


def test_lines_of_the_wrong_type_are_skipped_with_one_warning(caplog):
    el.training.ledger.record_run(_record(trained=0.5))
    with open(ledger_path(), "a") as handle:
        for line in [*WRONG_LINES, json.dumps(_record(seconds="fast")), "not json"]:
            handle.write(line + "\n")
    el.training.ledger.record_run(_record(recipe="cosine", trained=0.7))
    with caplog.at_level("WARNING", logger="embedlab.training.ledger"):
        records = el.training.ledger.read_ledger()
        el.training.ledger.read_ledger()  # the same bad lines again: no second warning
    assert [r["recipe"] for r in records] == ["softmax", "cosine"]
    (warning,) = [r.getMessage() for r in caplog.records]
    assert "skipped 6 bad ledger line(s)" in warning and "(lines 2, 3, 4, 5, 6, 7)" in warning
    assert "line 2: a record must be a JSON object {...}, got null" in warning
    assert "line 6: 'seconds' must be a number >= 0, got 'fast'" in warning
    assert "The other 2 record(s) are used" in warning


def test_tables_and_lists_survive_lines_of_the_wrong_type():
    from embedlab.interactive.dashboard import dashboard_filters, dashboard_table

    el.training.ledger.record_run(_record(trained=0.5))
    with open(ledger_path(), "a") as handle:
        handle.write("\n".join([*WRONG_LINES, json.dumps(_record(seconds="fast"))]) + "\n")
    assert list(el.ledger_table()["recipe"]) == ["softmax"]
    assert el.training.ledger.latest_run("softmax")["trained"]["spearman_cosine"] == 0.5
    assert list(dashboard_table()["recipe"]) == ["softmax"]
    assert dashboard_filters() == (["all", "02_softmax_loss"], ["all", "quick"])
    assert (
        len(el.interactive.explorers.model_choices()) == 2
    )  # the two built-in choices; the record saved no model


def test_an_append_after_a_torn_line_starts_on_a_new_line(caplog):
    el.training.ledger.record_run(_record(trained=0.5))
    with open(ledger_path(), "a") as handle:
        handle.write('{"notebook": "02", "reci')  # a crash mid-write
    with caplog.at_level("WARNING", logger="embedlab.training.ledger"):
        assert len(el.training.ledger.read_ledger()) == 1
    assert "line 2: torn (an interrupted write)" in caplog.text
    el.training.ledger.record_run(_record(trained=0.6))  # never glued onto the torn line
    records = el.training.ledger.read_ledger()
    assert [r["trained"]["spearman_cosine"] for r in records] == [0.5, 0.6]
    lines = ledger_path().read_text().splitlines()
    assert lines[1] == '{"notebook": "02", "reci' and json.loads(lines[2])["trained"]


def _append_many(count: int, start: int) -> None:
    for i in range(count):
        el.training.ledger.record_run(_record(trained=round(0.001 * (start + i), 3)))


def test_concurrent_appends_after_a_torn_line_keep_every_record():
    import multiprocessing

    el.training.ledger.record_run(_record(trained=0.9))
    with open(ledger_path(), "a") as handle:
        handle.write('{"torn')
    context = multiprocessing.get_context("fork")
    workers = [context.Process(target=_append_many, args=(100, 100 * k)) for k in range(3)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)
        assert worker.exitcode == 0
    records = el.training.ledger.read_ledger()
    assert len(records) == 301
    assert sorted(r["trained"]["spearman_cosine"] for r in records[1:]) == sorted(
        round(0.001 * i, 3) for i in range(300)
    )
