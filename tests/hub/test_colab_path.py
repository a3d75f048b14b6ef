"""The Colab path (the Hub reachable, no offline folder), run on the loopback Hub.

What a learner on Colab meets: STS-B genres built from the Hub, the doctor's report, the lab
kit downloaded and verified, MTEB scores of two models, and a few steps of one recipe of
every notebook 02-07 in the full profile's code path (its Hub ids, its settings), on a small
BERT served under a test id. Each runs in a subprocess whose Hub is the loopback server.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fixtures import BERT_MINI_ID, SNLI_UNLABELLED
from test_loopback_hub import result

# The full profile with a small BERT in place of bert-base-uncased and a handful of rows;
# every run is scored on the first 200 STS-B validation pairs (`sts`), not all 1,500.
SMOKE_PROFILE = f"""
import json, sys, tempfile, time
import embedlab as el

if not el.sources.hub_reachable():
    sys.exit(f"not on the loopback hub: {{el.sources.probe_hub()}}")
el.classroom.session.quiet_libraries()
full = el.profiles.FULL.with_changes(
    base_model="{BERT_MINI_ID}", n_train=96, batch_size=8, max_seq_length=32,
    warmup_steps=1, eval_steps=2, umap_points=50,
)
assert full.name == "full" and el.data.load_nli("mnli", "train", n_rows=1).num_rows == 1
sts = el.evaluation.stsb_evaluator(rows=list(range(200)))  # the first 200 of 1,500 pairs
started = time.perf_counter()
"""


def test_stsb_genres_are_built_from_the_hub_and_cached(run_on_hub, hub_data_dir):
    code = """
import json
import embedlab as el
from embedlab import stsb_genres

before = stsb_genres.genre_source()[1]
genres = stsb_genres.load_stsb_genres()
after = stsb_genres.genre_source()
captions = el.evaluation.stsb_evaluator(genre="main-captions")
print("RESULT " + json.dumps({
    "before": before, "after": [str(after[0]), after[1]], "n": len(genres),
    "genres": {f"{s}/{i}": g for (s, i), g in genres.items()}, "captions": len(captions.scores),
}))
"""
    out = result(run_on_hub(code, timeout=300))
    assert out["before"].startswith("the Hub (mteb/stsbenchmark-sts)")
    assert out["after"][0].endswith("stsb-genre.jsonl") and out["after"][1].startswith("cache")
    shared = [json.loads(line) for line in (hub_data_dir / "stsb" / "genre.jsonl").open()]
    assert out["n"] == len(shared) == 7_249
    assert out["genres"] == {f"{r['split']}/{r['idx']}": r["genre"] for r in shared}
    assert 0 < out["captions"] < 1_500  # the captions of STS-B validation


def test_the_doctor_on_colab_reports_the_hub_and_no_problem(run_on_hub):
    code = """
import json
from embedlab.classroom import doctor

diagnosis = doctor.diagnose("07_tsdae_domain_adaptation", profile="quick")
print("RESULT " + json.dumps({
    "facts": diagnosis.facts, "details": diagnosis.details,
    "problems": [p.what for p in diagnosis.problems],
}))
"""
    out = result(run_on_hub(code, timeout=300))
    assert out["problems"] == []
    assert out["facts"]["hub"].startswith("reachable")
    assert out["facts"]["data"].startswith("Hugging Face Hub")
    genre_line = (
        "  ok   STS-B genres: the Hub (mteb/stsbenchmark-sts), built and cached on first use"
    )
    assert genre_line in out["details"]


def test_the_lab_kit_downloads_from_the_hub_and_verifies(run_on_hub, tmp_path, hub_data_dir):
    kit = tmp_path / "kit"
    code = f"""
import json
from embedlab_tools import labkit
from embedlab.profiles import QUICK

profile = QUICK.with_changes(base_model="{BERT_MINI_ID}")  # a kit with a base model too
said = []
root = labkit.download(profile, "{kit}", say=said.append)
report = labkit.verify(root, profile)
print("RESULT " + json.dumps({{"said": said, "ok": report.ok, "text": report.text()}}))
"""
    out = result(run_on_hub(code, timeout=600))
    assert out["ok"], out["text"]
    said = "\n".join(out["said"])
    assert "wrote  stsb/genre.jsonl (7,249 rows, matched with mteb/stsbenchmark-sts)" in said
    for folder in ("sentence-transformers--all-MiniLM-L6-v2", BERT_MINI_ID.replace("/", "--")):
        assert (kit / "models" / folder / "config.json").is_file()
    kit_rows = [json.loads(line) for line in (kit / "snli" / "validation.jsonl").open()]
    served = sum(1 for _ in (hub_data_dir / "snli" / "validation.jsonl").open()) + SNLI_UNLABELLED
    assert len(kit_rows) == served  # the Hub's rows as served; load_nli drops label -1 on reading


def test_mteb_scores_each_model_on_its_own(run_on_hub):
    code = """
import json
import embedlab as el
from embedlab.benchmarks import mteb_score

untrained = el.load_base_model(el.profiles.QUICK)      # both unnamed on their model cards
pretrained = el.load_pretrained_model()
scores = {name: mteb_score(model, "STSBenchmark") for name, model in
          [("untrained", untrained), ("pretrained", pretrained)]}
print("RESULT " + json.dumps(scores))
"""
    out = result(run_on_hub(code, timeout=600))
    (untrained, note), (pretrained, _) = out["untrained"], out["pretrained"]
    assert untrained is not None, note
    assert pretrained is not None and pretrained > untrained + 0.2  # not the first one's score
    assert note == "MTEB STSBenchmark: cosine_spearman."


# One recipe of each notebook, as it runs in the full profile (few rows, two steps).
NOTEBOOK_SMOKE = {
    "02_softmax_loss": """
run = el.training.recipes.run_book_recipe("softmax", full, max_steps=2, evaluator=sts)
record = run.record
""",
    "03_cosine_similarity_loss": """
run = el.training.recipes.run_book_recipe("cosine", full, max_steps=2, evaluator=sts)
run = el.training.recipes.run_book_recipe("cosent", full, max_steps=2, evaluator=sts)
record = run.record
""",
    "04_mnr_loss_and_hard_negatives": """
from sentence_transformers.util import mine_hard_negatives
mnli = el.load_nli("mnli", "validation_matched", n_rows=400)
train, held_out = el.data.split_by_premise(mnli, 40, seed=full.seed)
judge = el.load_pretrained_model(full.pretrained_model, max_seq_length=full.max_seq_length)
pairs = el.data.mnr_triplets(train).select_columns(["anchor", "positive"]).select(range(48))
with el.methods.negatives.quiet_mining(judge):
    hard = mine_hard_negatives(pairs, judge, num_negatives=1, range_min=5, range_max=20,
                               output_format="triplet", batch_size=32, verbose=False)
from embedlab.recipes.mnr import mnr_trainer
trainer = mnr_trainer(el.load_base_model(full), hard, full, sts,
                      output_dir=tempfile.mkdtemp())
trainer.args.max_steps = 2
with el.recorded_run(trainer, notebook=NB, recipe="mnr-hard", profile=full) as run:
    trainer.train()
report = el.benchmarks.in_depth_evaluation(run.result.model, held_out)
record = run.result.record
record["in_depth"] = report.scores
record["notes"] = report.notes
""",
    "05_finetuning_pretrained": """
run = el.training.recipes.run_book_recipe("finetune-mnr", full, max_steps=2, evaluator=sts)
record = run.record
""",
    "06_augmented_sbert": """
from embedlab.methods import augmentation as aug
mnli = el.load_nli("mnli", "train", n_rows=full.n_train)
gold = el.data.cosine_pairs(mnli)
base, base_name = aug.cross_encoder_base(full)
import dataclasses
from embedlab.recipes.augsbert import TeacherSettings, teacher_trainer
settings = dataclasses.replace(TeacherSettings.of(full), epochs=1, batch_size=16)
trainer = teacher_trainer(base, gold, full, settings, tempfile.mkdtemp())
trainer.train()
teacher = trainer.model
silver = aug.label_pairs(teacher, aug.random_pairs(gold, 32, seed=full.seed))
from embedlab.recipes.augsbert import bi_encoder_recipe
loss, recipe = bi_encoder_recipe(full)  # notebook 06's: the book's cosine loss at full scale
train = aug.bi_encoder_dataset(aug.gold_plus_silver(gold, silver), loss)
trainer = recipe(el.load_base_model(full), train, full, sts,
                 output_dir=tempfile.mkdtemp())
trainer.args.max_steps = 2
with el.recorded_run(trainer, notebook=NB, recipe="augsbert-random", profile=full) as run:
    trainer.train()
record = run.result.record
record["teacher_base"] = base_name
""",
    "07_tsdae_domain_adaptation": """
from embedlab.methods import tsdae
from embedlab.recipes.tsdae import tsdae_trainer
from embedlab.recipes.tsdae import TSDAESettings
settings = TSDAESettings.of(full)
sentences = tsdae.unlabelled_sentences(el.load_nli("snli", "train"), 64)
pairs = tsdae.denoising_pairs(sentences, 0.6, seed=full.seed)
model = el.load_base_model(full, pooling=settings.pooling)
captions = el.evaluation.stsb_evaluator(genre="main-captions")
trainer = tsdae_trainer(model, pairs, full, sts,
                        output_dir=tempfile.mkdtemp())
trainer.args.max_steps = 2
with el.recorded_run(trainer, notebook=NB, recipe="tsdae", profile=full,
                     target_evaluator=captions) as run:
    trainer.train()
record = run.result.record
record["pooling"] = settings.pooling
""",
    "08_matryoshka_embeddings": """
from sentence_transformers.sentence_transformer.losses import MatryoshkaLoss, MultipleNegativesRankingLoss
from embedlab.recipes.mnr import mnr_trainer
model = el.load_base_model(full)
dims = [model.get_embedding_dimension(), 32, 16]
triplets = el.data.mnr_triplets(el.load_nli("mnli", "train", n_rows=full.n_train)).select(range(16))
loss = lambda m: MatryoshkaLoss(m, MultipleNegativesRankingLoss(m), matryoshka_dims=dims)
trainer = mnr_trainer(model, triplets, full, sts, loss=loss,
                      output_dir=tempfile.mkdtemp())
with el.recorded_run(trainer, notebook=NB, recipe="matryoshka-mnr", profile=full) as run:
    trainer.train()
record = run.result.record
with model.truncate_embeddings(16):
    record["cut"] = int(model.encode("a sentence").shape[0])
""",
}


@pytest.mark.parametrize("notebook", sorted(NOTEBOOK_SMOKE))
def test_each_notebook_runs_in_the_full_profile_through_the_hub(notebook, run_on_hub):
    code = (
        SMOKE_PROFILE
        + f"NB = {notebook!r}\n"
        + NOTEBOOK_SMOKE[notebook]
        + """
record["seconds_total"] = round(time.perf_counter() - started, 1)
print("RESULT " + json.dumps(record, default=str))
"""
    )
    record = result(run_on_hub(code, timeout=600))
    assert record["profile"] == "full", "the quick base stood in for the Hub's model"
    assert record["trained"]["spearman_cosine"] is not None
    if notebook != "05_finetuning_pretrained":
        assert record["base_model"] == BERT_MINI_ID
    if notebook == "04_mnr_loss_and_hard_negatives":
        assert set(record["in_depth"]) >= {"sts (spearman)", "nli retrieval (ndcg@10)"}
        assert any(
            note.startswith("MTEB Banking77Classification.v2 skipped") for note in record["notes"]
        )
    if notebook == "06_augmented_sbert":
        assert record["teacher_base"] == BERT_MINI_ID.split("/")[-1]
    if notebook == "08_matryoshka_embeddings":
        assert record["steps"] == 2 and record["cut"] == 16
    if notebook == "07_tsdae_domain_adaptation":
        assert (
            record["pooling"] == "cls" and record["trained_target"]["spearman_cosine"] is not None
        )
    Path(record["model_path"]).is_dir()
    print(f"{notebook}: {record['seconds_total']} s")
