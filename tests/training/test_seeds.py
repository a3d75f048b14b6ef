import pytest

import embedlab as el
from embedlab.training import seeds


def test_spread_reports_mean_std_and_range():
    s = seeds.spread([0.5, 0.6, 0.7])
    assert s.mean == pytest.approx(0.6) and s.std == pytest.approx(0.1)
    assert (s.low, s.high) == (0.5, 0.7)
    assert str(s) == "0.600 ± 0.100 (3 seeds: 0.500-0.700)"
    with pytest.raises(el.errors.InputError):
        seeds.spread([])


def test_verdict_calls_overlapping_ranges_no_difference():
    a, b, c = seeds.spread([0.60, 0.62]), seeds.spread([0.50, 0.52]), seeds.spread([0.51, 0.55])
    assert seeds.verdict({"b": b, "a": a}) == "a > b"
    assert seeds.verdict({"a": a, "b": b, "c": c}) == "a > c ≈ b"


def test_seed_spread_reads_the_newest_record_per_seed(make_record):
    for seed, score in [(42, 0.1), (42, 0.50), (43, 0.52), (44, 0.54), (45, 0.9)]:
        el.training.ledger.record_run(make_record("cosine", seed, score))
    el.training.ledger.record_run(make_record("cosine", 43, 0.99, profile="full"))
    s = seeds.seed_spread("cosine", "quick")
    assert s.values == (0.50, 0.52, 0.54)  # seed 42's newer run; seed 45 is not one of SEEDS
    with pytest.raises(el.errors.InputError, match="no 'quick' run of 'softmax'"):
        seeds.seed_spread("softmax", "quick")


def test_ledger_table_averages_the_seeds_of_a_recipe(make_record):
    for seed, score in [(42, 0.50), (43, 0.52), (44, 0.54)]:
        el.training.ledger.record_run(make_record("cosine", seed, score))
    table = el.ledger_table(profile="quick")
    row = table[table.recipe == "cosine"].iloc[0]
    assert (
        row.seeds == 3
        and row.trained == pytest.approx(0.52)
        and row.trained_std == pytest.approx(0.02)
    )


def test_every_run_records_its_seed():
    from embedlab.training.run import _ledger_record

    record = _ledger_record("nb", "r", object(), el.profiles.QUICK.with_changes(seed=43))
    assert record["seed"] == 43
