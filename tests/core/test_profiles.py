import pytest

import embedlab as el
from embedlab.profiles import PROFILE_ENV


def test_automatic_choice_is_quick_without_gpu(monkeypatch):
    monkeypatch.delenv(PROFILE_ENV, raising=False)
    assert el.profiles.get_profile().name == (
        "full" if el.profiles.device_name() == "cuda" else "quick"
    )


def test_environment_variable_and_argument_override(monkeypatch):
    monkeypatch.setenv(PROFILE_ENV, "full")
    assert el.profiles.get_profile().name == "full"
    assert el.profiles.get_profile("quick").name == "quick"  # the argument wins


def test_unknown_profile_names_the_choices():
    with pytest.raises(el.errors.InputError, match="unknown profile 'huge'.*full.*quick"):
        el.profiles.get_profile("huge")


def test_full_profile_is_the_books_scale():
    assert (
        el.profiles.FULL.base_model,
        el.profiles.FULL.n_train,
        el.profiles.FULL.epochs,
        el.profiles.FULL.batch_size,
    ) == (
        "bert-base-uncased",
        50_000,
        1,
        32,
    )
    assert el.profiles.FULL.warmup_steps == 100


def test_no_mixed_precision_on_cpu():
    if el.profiles.device_name() == "cpu":
        assert el.profiles.precision() == "fp32"


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"learning_rate": 5.0}, "learning_rate"),
        ({"batch_size": 0}, "batch_size"),
        ({"epochs": -1}, "epochs"),
        ({"colour": "red"}, "unknown profile setting"),
    ],
)
def test_with_changes_rejects_bad_values(changes, message):
    with pytest.raises(el.errors.InputError, match=message):
        el.profiles.QUICK.with_changes(**changes)


def test_with_changes_returns_a_changed_copy():
    smaller = el.profiles.QUICK.with_changes(n_train=100)
    assert smaller.n_train == 100 and el.profiles.QUICK.n_train == 39_664
