"""The reference ledger: seeds read instead of trained, checked against the live seed."""

from __future__ import annotations

import json
import re

import pytest

import embedlab as el
from embedlab.training import reference, seeds
from embedlab.training.ledger_schema import record_problems

SHIPPED = reference.SHIPPED_DIR / "quick.jsonl"


@pytest.fixture
def stored(tmp_path, monkeypatch, make_record):
    """A reference ledger of three cosine seeds in a folder of the test's own."""
    folder = tmp_path / "reference"
    folder.mkdir()
    records = [
        make_record("cosine", 42, 0.55),
        make_record("cosine", 43, 0.56),
        make_record("cosine", 44, 0.57),
    ]
    (folder / "quick.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
    monkeypatch.setenv(reference.REFERENCE_DIR_ENV, str(folder))
    return folder / "quick.jsonl"


def test_only_the_first_seed_is_live_when_the_reference_holds_the_others(stored, monkeypatch):
    assert seeds.live_seeds("cosine", "quick") == (42,)
    assert seeds.live_seeds("softmax", "quick") == seeds.SEEDS  # not in the reference
    assert seeds.live_seeds("cosine", "full") == seeds.SEEDS  # no full reference
    monkeypatch.setenv(reference.ALL_SEEDS_ENV, "1")
    assert seeds.live_seeds("cosine", "quick") == seeds.SEEDS


def test_a_spread_takes_live_seeds_first_and_the_rest_from_the_reference(stored, make_record):
    el.training.ledger.record_run(make_record("cosine", 42, 0.5512))
    spread = seeds.seed_spread("cosine", "quick")
    assert spread.values == (0.5512, 0.56, 0.57)
    assert spread.origin == "seed 42 trained here; seeds 43, 44 from the reference ledger"
    assert spread.per_seed().splitlines()[0] == "seed 42: 0.551 (trained here)"
    table = el.ledger_table(profile="quick", reference=True)
    row = table[table.recipe == "cosine"].iloc[0]
    assert (row.seeds, row.live) == (3, 1) and row.trained == pytest.approx(0.5604, abs=1e-4)
    assert el.ledger_table(profile="quick").iloc[0].seeds == 1  # without the reference


def test_the_live_seed_agrees_with_its_reference_record(stored, make_record):
    check = reference.check_live(make_record("cosine", 42, 0.5510))
    assert check and "agrees with the reference ledger (within 0.002)" in str(check)


def test_an_edited_reference_record_fails_the_check_and_names_the_command(stored, make_record):
    live = make_record("cosine", 42, 0.55)
    assert reference.check_live(live)
    text = stored.read_text().replace('"spearman_cosine": 0.55}', '"spearman_cosine": 0.553}', 1)
    stored.write_text(text)
    check = reference.check_live(live)
    assert not check
    assert "trained spearman_cosine 0.5500 live, 0.5530 in the reference" in str(check)
    assert reference.REMAKE_COMMAND in str(check)


def test_other_settings_fail_the_check_even_with_the_same_score(stored, make_record):
    check = reference.check_live({**make_record("cosine", 42, 0.55), "steps": 6})
    assert not check and "steps 6 live, 5 in the reference" in str(check)


def test_without_a_reference_record_the_check_passes_and_says_so(stored, monkeypatch, make_record):
    assert "has no record of it" in str(reference.check_live(make_record("softmax", 42, 0.5)))
    monkeypatch.setenv(reference.ALL_SEEDS_ENV, "yes")
    assert "every seed is live" in str(reference.check_live(make_record("cosine", 42, 0.1)))


def test_ensure_recorded_reads_the_reference_before_training(stored, monkeypatch):
    monkeypatch.setattr(
        el.training.recipes, "run_book_recipe", lambda *a, **k: pytest.fail("trained")
    )
    record = el.training.recipes.ensure_recorded("cosine", el.profiles.QUICK)
    assert record["trained"]["spearman_cosine"] == 0.55


# --- the shipped reference ------------------------------------------------------------------


@pytest.fixture
def shipped(monkeypatch):
    monkeypatch.delenv(reference.REFERENCE_DIR_ENV)
    return reference.read_reference("quick")


def test_the_shipped_reference_holds_three_seeds_of_every_recipe_and_where_it_was_made(shipped):
    assert len(shipped) == len(SHIPPED.read_text().splitlines())  # no line skipped
    by_recipe: dict[str, set[int]] = {}
    for record in shipped:
        assert not record_problems(record)
        made = record["made_with"]
        assert made["cores"] and made["torch_threads"] and made["cpu"]
        assert {"torch", "sentence-transformers", "transformers"} <= set(made["versions"])
        assert record["model_path"] == ""
        by_recipe.setdefault(record["recipe"], set()).add(record["seed"])
    three = {recipe for recipe, held in by_recipe.items() if set(seeds.SEEDS) <= held}
    assert len(three) >= 8, by_recipe
    assert not re.search(r'"/(root|tmp|home|Users)/', SHIPPED.read_text())


def _notebook_recipes() -> set[str]:
    """Every recipe a notebook asks live_seeds about, by its literal name."""
    names = set()
    for path in sorted((reference.SHIPPED_DIR.parents[1] / "notebooks").glob("0*.ipynb")):
        text = "".join(
            "".join(c["source"])
            for c in json.loads(path.read_text())["cells"]
            if c["cell_type"] == "code"
        )
        names |= set(re.findall(r'live_seeds\("([\w-]+)"', text))
    return names


def test_every_recipe_a_notebook_reads_has_three_reference_seeds(shipped):
    wanted = _notebook_recipes() | {"softmax", "cosine", "mnr-soft", "negatives-easy", "batch-8"}
    assert len(wanted) >= 8
    for recipe in wanted:
        assert seeds.live_seeds(recipe, "quick") == (42,), recipe


def test_the_lessons_that_the_reference_shows(shipped):
    """What the notebooks tell, from the reference alone (seed 42's untrained base)."""

    def s(recipe, field="trained"):
        return seeds.seed_spread(recipe, "quick", field=field)

    base = reference.reference_records("cosine", "quick")[42]["untrained"]["spearman_cosine"]
    assert s("softmax").mean >= base + 0.02  # 02: with its head at its own rate
    assert s("cosine").mean >= base + 0.03
    assert s("mnr-soft").low > max(s("cosine").high, s("softmax").high)
    # 04: the same anchors and steps, only the negative changes
    kinds = {kind: s(f"negatives-{kind}") for kind in ("easy", "semihard", "hard")}
    assert all(kind.low > base for kind in kinds.values())
    assert max(kinds["semihard"].low, kinds["hard"].low) > kinds["easy"].high
    # 04: the same batches and steps, only the number of in-batch negatives changes
    assert s("batch-8").high < s("batch-32").low
    assert s("batch-8").mean < s("batch-32").mean < s("batch-128").mean
    assert s("augsbert-given").low > s("augsbert-gold").high
    teacher = reference.reference_records("cross-encoder", "quick")[42]  # 06: measured first
    assert teacher["accuracy"] >= teacher["majority_baseline"] + 0.05
    assert s("tsdae").mean >= base + 0.03
    adapted = s("tsdae-then-supervised", "trained_target")
    assert adapted.low > s("supervised-only", "trained_target").high
    # 09: a static model trained from a random table, three seeds on the same settings
    static = reference.reference_records("static-mnr", "quick")
    assert sorted(static) == list(seeds.SEEDS)
    settings = {
        (r["n_train"], r["steps"], r["batch_size"], r["learning_rate"]) for r in static.values()
    }
    assert len(settings) == 1
    random_table = max(r["untrained"]["spearman_cosine"] for r in static.values())
    assert s("static-mnr").low > random_table + 0.1  # the training, not the tokens, makes it
    assert s("static-mnr").std < 0.01  # three seeds agree
    assert s("static-mnr").mean > base + 0.1  # far above the quick base's 0.492


def test_a_target_evaluation_records_sts_scores_or_its_cosine_metrics():
    from embedlab.training.run import target_scores

    sts = {"captions_spearman_cosine": 0.51234, "captions_pearson_cosine": 0.5}
    assert target_scores(sts, "captions") == {"spearman_cosine": 0.5123, "pearson_cosine": 0.5}
    pairs = {"nli-pairs_cosine_ap": 0.78512, "nli-pairs_cosine_f1": 0.7, "nli-pairs_dot_ap": 0.1}
    assert target_scores(pairs, "nli-pairs") == {"cosine_ap": 0.7851, "cosine_f1": 0.7}


def test_a_target_score_that_moved_fails_the_check(stored, make_record):
    text = stored.read_text().splitlines()
    first = json.loads(text[0]) | {"trained_target": {"cosine_ap": 0.785}}
    stored.write_text("\n".join([json.dumps(first), *text[1:]]) + "\n")
    live = make_record("cosine", 42, 0.55) | {"trained_target": {"cosine_ap": 0.790}}
    check = reference.check_live(live)
    assert not check and "trained_target cosine_ap 0.7900 live, 0.7850" in str(check)


def test_a_teachers_accuracy_is_checked_against_its_reference_record(stored):
    """Notebook 06's cross-encoder has no STS-B score: its held-back accuracy and ROC AUC are
    what the reference must reproduce."""
    from embedlab.methods.augmentation import cross_encoder_record

    teacher = cross_encoder_record(
        notebook="06_augmented_sbert",
        profile=el.profiles.QUICK,
        base_name="all-MiniLM-L6-v2",
        n_train=2000,
        report={"accuracy": 0.785, "roc_auc": 0.857, "majority_baseline": 0.666},
        info={"seconds": 78.0, "peak_memory_mb": 900.0},
        settings={"epochs": 2},
    )
    assert teacher["seed"] == el.profiles.QUICK.seed
    stored.write_text(stored.read_text() + json.dumps(teacher) + "\n")
    assert reference.check_live(teacher)
    moved = reference.check_live({**teacher, "accuracy": 0.790})
    assert not moved and "accuracy 0.7900 live, 0.7850 in the reference" in str(moved)
