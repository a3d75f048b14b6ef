import pytest
import torch
from transformers import DataCollatorForLanguageModeling

import embedlab as el
from embedlab.artefacts import manifest_problem
from embedlab.methods import pretraining
from embedlab_tools.build_base import main as build_main
from embedlab_tools.build_base import shipped_settings

TINY = dict(
    hidden_size=32,
    num_hidden_layers=1,
    num_attention_heads=2,
    intermediate_size=64,
    batch_size=16,
    warmup_steps=2,
    steps=6,
)


@pytest.fixture(scope="module")
def sentences():
    return pretraining.pretraining_sentences()


def test_pretraining_text_is_nli_without_any_stsb_sentence(sentences):
    stsb = set()
    for split in ("train", "validation"):
        rows = el.load_stsb(split)
        stsb |= {s.strip() for s in rows["sentence1"]} | {s.strip() for s in rows["sentence2"]}
    assert len(sentences) > 70_000
    assert len(set(sentences)) == len(sentences)
    assert not stsb & set(sentences)


def test_masked_positions_loss_equals_the_full_masked_lm_loss(sentences):
    model, tokenizer = pretraining.new_masked_lm(pretraining.PretrainingSettings(**TINY))
    collator = DataCollatorForLanguageModeling(tokenizer, mlm_probability=0.15, return_tensors="pt")
    torch.manual_seed(0)
    batch = collator([tokenizer(s) for s in sentences[:8]])
    model.eval()  # no dropout, so that both passes see the same network
    with torch.no_grad():
        full = model(**batch).loss
        ours = pretraining.masked_lm_loss(model, batch)
    assert torch.allclose(full, ours, atol=1e-5)


def test_pretraining_is_reproducible_and_seed_dependent(sentences):
    text = sentences[:400]
    first = pretraining.pretrain(pretraining.PretrainingSettings(**TINY), text, log_every=2)
    second = pretraining.pretrain(pretraining.PretrainingSettings(**TINY), text, log_every=2)
    other = pretraining.pretrain(pretraining.PretrainingSettings(**TINY, seed=7), text, log_every=2)
    digest = pretraining.weights_digest
    assert digest(first.model) == digest(second.model)
    assert first.losses == second.losses and len(first.losses) == 3
    assert digest(first.model) != digest(other.model)


def test_pretraining_lowers_the_loss(sentences):
    settings = pretraining.PretrainingSettings(**{**TINY, "steps": 60, "learning_rate": 3e-3})
    result = pretraining.pretrain(settings, sentences[:2000], log_every=10)
    assert result.losses[-1] < result.losses[0] - 1.0
    summary = result.summary()
    assert summary["settings"]["steps"] == 60 and summary["final_loss"] == round(
        result.losses[-1], 4
    )


def test_fill_mask_needs_a_mask_and_returns_probabilities():
    model, tokenizer = pretraining.new_masked_lm(pretraining.PretrainingSettings(**TINY))
    guesses = pretraining.fill_mask(model, tokenizer, "a [MASK] sat down.", top_k=3)
    assert len(guesses) == 3 and all(0 <= p <= 1 for _, p in guesses)
    with pytest.raises(el.errors.InputError, match=r"needs a \[MASK\]"):
        pretraining.fill_mask(model, tokenizer, "no blank here")


@pytest.mark.parametrize(
    "change, message",
    [
        ({"hidden_size": 30, "num_attention_heads": 4}, "divisible"),
        ({"steps": 0}, "steps=0"),
        ({"learning_rate": 2.0}, "learning_rate"),
        ({"mask_probability": 0.0}, "mask_probability"),
    ],
)
def test_bad_pretraining_settings_are_named(change, message):
    with pytest.raises(el.errors.InputError, match=message):
        pretraining.PretrainingSettings(**{**TINY, **change}).validate()


def test_too_few_sentences_for_one_batch_is_a_clear_error():
    with pytest.raises(el.errors.InputError, match="at least one batch"):
        pretraining.pretrain(pretraining.PretrainingSettings(**TINY), ["one sentence"])


def test_build_command_writes_a_complete_folder_and_record(tmp_path):
    out = tmp_path / "base"
    flags = ["--out", str(out), "--probe-every", "0", "--threads", "1"]
    for key, value in {**TINY, "steps": 4}.items():
        flags += [f"--{key.replace('_', '-')}", str(value)]
    assert build_main(flags) == 0
    from embedlab_tools.build_base import shipped_build_record

    record = shipped_build_record(out)
    assert record["settings"]["steps"] == 4 and record["settings"]["hidden_size"] == 32
    assert (out / "model.safetensors").is_file() and not (tmp_path / "base.partial").exists()
    assert manifest_problem(out) is None and [p.name for p in tmp_path.iterdir()] == ["base"]
    assert record["sts_probe"][0]["step"] == 0  # the untrained network's score is recorded


def test_build_command_refuses_to_overwrite_the_shipped_base_with_other_settings():
    assert build_main(["--steps", "3"]) == 2


def test_shipped_settings_describe_the_quick_base():
    settings = shipped_settings()
    model = el.load_base_model(el.profiles.QUICK)
    assert model.get_embedding_dimension() == settings.hidden_size
    assert not settings.seed_word_vectors  # learned from text alone, no sentence model inside
