import random

import pytest
import torch

import embedlab as el
from embedlab.evaluation import stsb_evaluator
from embedlab.methods import tsdae
from embedlab.recipes.tsdae import tsdae_loss, tsdae_trainer


def test_words_split_and_join_back_unchanged():
    text = "The kids don't like (cold) pizza, do they?"
    assert tsdae.split_words(text)[2] == "don't"
    assert tsdae.join_words(tsdae.split_words(text)) == text


def test_deletion_keeps_order_and_about_the_ratio():
    text = " ".join(f"w{i}" for i in range(1000))
    damaged = tsdae.delete_words(text, 0.6, seed=3).split()
    assert 330 < len(damaged) < 470  # about 40% of 1,000 words kept
    assert damaged == sorted(damaged, key=lambda w: int(w[1:]))  # order kept
    assert tsdae.delete_words(text, 0.6, seed=3) == " ".join(damaged)  # same seed, same noise
    assert tsdae.delete_words(text, 0.0, seed=3) == text


def test_deletion_keeps_at_least_one_word_and_checks_the_ratio():
    rng = random.Random(0)
    assert all(tsdae.delete_words("one two", 0.99, seed=rng) for _ in range(50))
    with pytest.raises(el.errors.InputError, match="deletion ratio"):
        tsdae.delete_words("a b", 1.0)


def test_unlabelled_sentences_are_deduplicated_and_counted():
    from datasets import concatenate_datasets

    rows = el.load_nli("snli", "train", n_rows=200)
    sentences = tsdae.unlabelled_sentences(rows)
    assert len(sentences) == len(set(sentences)) <= 400
    assert tsdae.unlabelled_sentences(concatenate_datasets([rows, rows])) == sentences
    assert rows["premise"][0] in sentences and rows["hypothesis"][0] in sentences
    with pytest.raises(el.errors.InputError, match="distinct"):
        tsdae.unlabelled_sentences(rows, 10_000)


def test_denoising_pairs_and_a_tsdae_step_on_the_standin():
    sentences = tsdae.unlabelled_sentences(el.load_nli("snli", "train", n_rows=40))
    pairs = tsdae.denoising_pairs(sentences, 0.6, seed=1)
    assert pairs.column_names == ["damaged", "original"] and pairs["original"] == sentences
    assert sum(d != o for d, o in zip(pairs["damaged"], pairs["original"], strict=True)) > 30
    model = el.load_base_model(el.profiles.QUICK, pooling="cls")
    before = model.encode(["A dog runs."])
    profile = el.profiles.QUICK.with_changes(warmup_steps=0, batch_size=8)
    trainer = tsdae_trainer(model, pairs, profile, stsb_evaluator(rows=[0, 1]), output_dir="x")
    trainer.args.max_steps, trainer.args.eval_strategy = 3, "no"
    trainer.train()
    assert trainer.state.global_step == 3
    assert (model.encode(["A dog runs."]) != before).any()
    with pytest.raises(el.errors.InputError, match="no sentences"):
        tsdae.denoising_pairs([])


def test_the_decoders_new_weights_repeat_with_the_seed():
    def cross_attention(seed: int):
        loss = tsdae_loss(el.load_base_model(el.profiles.QUICK, pooling="cls"), seed)
        return next(p for n, p in loss.decoder.named_parameters() if "crossattention" in n)

    assert torch.equal(cross_attention(1), cross_attention(1))
    assert not torch.equal(cross_attention(1), cross_attention(2))
