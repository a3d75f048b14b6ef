import numpy as np
import pytest

import embedlab as el
from embedlab.interactive import explorers
from embedlab.interactive.explorers import PRETRAINED, UNTRAINED


def _record(model_path, recipe="cosine", profile="quick"):
    return {
        "notebook": "03_cosine_similarity_loss",
        "recipe": recipe,
        "profile": profile,
        "base_model": "standin-bert-tiny",
        "n_train": 10,
        "seconds": 1.0,
        "peak_memory_mb": 1.0,
        "untrained": {"spearman_cosine": 0.5},
        "trained": {"spearman_cosine": 0.6},
        "model_path": str(model_path),
    }


def test_model_choices_are_pretrained_untrained_and_saved_ledger_models(standin, tmp_path):
    assert list(el.interactive.explorers.model_choices()) == [PRETRAINED, UNTRAINED]
    saved = tmp_path / "saved"
    standin.save(str(saved))
    el.training.ledger.record_run(_record(saved))
    el.training.ledger.record_run(_record(tmp_path / "deleted", recipe="softmax"))
    el.training.ledger.record_run(
        _record(saved, profile="full")
    )  # the same folder again: listed once
    choices = el.interactive.explorers.model_choices()
    assert len(choices) == 3 and list(choices.values())[2] == str(saved)
    assert "cosine · 03_cosine_similarity_loss · full, STS-B 0.600" in choices
    assert len(el.interactive.explorers.model_choices(profile="quick")) == 3
    loaded = explorers.load_choice(str(saved))
    sentences = ["A cat sits on the mat.", "Stocks fell."]
    assert np.allclose(loaded.encode(sentences), standin.encode(sentences), atol=1e-5)
    with pytest.raises(el.errors.InputError, match="no model"):
        explorers.load_choice("not a model")


def test_similarity_view_finds_the_paraphrase():
    model = explorers.load_choice(PRETRAINED)
    sentences = "A cat sits on the mat.\n\nStocks fell sharply.\nA kitten rests on a rug.\nA cat sits on the mat."
    view = el.interactive.explorers.similarity_view(model, sentences, k=2)
    assert view.sentences == [
        "A cat sits on the mat.",
        "Stocks fell sharply.",
        "A kitten rests on a rug.",
    ]
    assert view.matrix.shape == (3, 3)
    assert np.allclose(np.diag(view.matrix), 1.0, atol=1e-4)
    assert np.allclose(view.matrix, view.matrix.T, atol=1e-5)
    assert view.neighbours[0][0][0] == 2  # the kitten, not the stocks
    assert view.neighbours[0][0][1] > view.neighbours[0][1][1]
    assert all(i not in [j for j, _ in near] for i, near in enumerate(view.neighbours))
    assert "'A cat sits on the mat.' -> 'A kitten rests on a rug.'" in view.describe(k=1)


def test_parse_sentences_refuses_too_few_or_too_many():
    with pytest.raises(el.errors.InputError, match="at least two different"):
        explorers.parse_sentences("same\nsame\n")
    with pytest.raises(el.errors.InputError, match="at most 30"):
        explorers.parse_sentences([f"sentence {i}" for i in range(31)])


@pytest.mark.parametrize("name", list(explorers.ITEM_SETS))
def test_item_sets_give_one_label_per_item(name, standin):
    items = el.interactive.explorers.item_set(name, 12)
    assert len(items) == len(items.labels) == 12
    features = items.featurize(standin)
    assert features.shape == (12, 384 if "pairs" in name else 128)
    if "NLI label" in name:
        assert set(items.labels) <= {0, 1, 2} and items.label_names == el.data.NLI_LABELS
    if "score bin" in name:
        assert set(items.labels) <= {"0-1", "1-2", "2-3", "3-4", "4-5"}
    if "corpus" in name:
        assert set(items.labels) == {"MNLI", "SNLI", "STS-B"}


def test_embedding_maps_for_one_or_two_models(standin):
    items = el.interactive.explorers.item_set("toy reviews · sentiment", 24)
    assert set(items.labels) == {"positive", "negative"}
    maps = el.interactive.explorers.embedding_maps(
        items, {"a": standin, "b": explorers.load_choice(PRETRAINED)}
    )
    assert [coords.shape for coords, _ in maps.values()] == [(24, 2), (24, 2)]
    assert maps["b"][1].shape == (24, 384)
    with pytest.raises(el.errors.InputError, match="one or two models"):
        el.interactive.explorers.embedding_maps(items, {})
    with pytest.raises(el.errors.InputError, match="one label each"):
        explorers.custom_items(["a", "b", "c", "d"], [1, 2])


def test_nearest_items_are_ranked_by_cosine():
    features = np.array([[1.0, 0.0], [0.9, 0.1], [0.0, 1.0], [-1.0, 0.0]])
    assert [j for j, _ in explorers.nearest_items(features, 0, k=3)] == [1, 2, 3]
    assert explorers.nearest_items(features, 0, k=1)[0][1] == pytest.approx(0.9939, abs=1e-4)
    with pytest.raises(el.errors.InputError, match="does not exist"):
        explorers.nearest_items(features, 4)
