"""Loading by Hub id, through the loopback Hub: datasets, models, hub client calls, embedlab.

Each test runs its loads in one subprocess (``run_on_hub``) whose Hub is the loopback server;
the subprocess prints one ``RESULT {json}`` line that the test checks.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from fixtures import BERT_MINI_ID, MINILM_ID, REPO_ROOT, SNLI_UNLABELLED, STSB_SPLITS

MTEB_REVISION = "b0fddb56ed78048fa8b90373c8a3cfc37b684831"
MTEB_COLUMNS = ["split", "genre", "dataset", "year", "sid", "score", "sentence1", "sentence2"]
NLI_NAMES = ["entailment", "neutral", "contradiction"]


def result(completed) -> dict:
    """The JSON the subprocess printed after ``RESULT``."""
    lines = [line for line in completed.stdout.splitlines() if line.startswith("RESULT ")]
    assert lines, f"no RESULT line in stdout:\n{completed.stdout}\n{completed.stderr}"
    return json.loads(lines[-1].removeprefix("RESULT "))


def source_rows(data: Path, folder: str, split: str) -> int:
    return sum(1 for line in (data / folder / f"{split}.jsonl").open() if line.strip())


def fetch(url: str, method: str = "GET", headers: dict | None = None):
    """``(status, headers, body)`` of a request, without proxies."""
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    request = urllib.request.Request(url, method=method, headers=headers or {})
    try:
        with opener.open(request, timeout=10) as answer:
            return answer.status, answer.headers, answer.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


def test_server_answers_like_the_hub(loopback_hub):
    status, _, body = fetch(f"{loopback_hub.url}/api/models/{MINILM_ID}")
    info = json.loads(body)
    assert status == 200 and info["id"] == info["modelId"] == MINILM_ID
    assert {"rfilename": "1_Pooling/config.json"} in info["siblings"]
    status, headers, body = fetch(f"{loopback_hub.url}/api/models/bert-base-uncased")
    assert (status, headers["X-Error-Code"]) == (404, "RepoNotFound")
    assert json.loads(body) == {"error": "Repository not found"}
    pinned = f"{loopback_hub.url}/api/datasets/mteb/stsbenchmark-sts/revision/{MTEB_REVISION}"
    assert json.loads(fetch(pinned)[2])["sha"] == MTEB_REVISION
    config = f"{loopback_hub.url}/{BERT_MINI_ID}/resolve/main/config.json"
    status, headers, _ = fetch(config, "HEAD")
    assert status == 200 and headers["ETag"] and len(headers["X-Repo-Commit"]) == 40
    status, headers, body = fetch(config, headers={"Range": "bytes=0-9"})
    assert (status, len(body), headers["Content-Range"].startswith("bytes 0-9/")) == (206, 10, True)


DATASETS_CODE = """
import json
from datasets import load_dataset

LOADS = {
    "mnli/train": (("nyu-mll/glue", "mnli"), {"split": "train"}),
    "mnli/validation_matched": (("nyu-mll/glue", "mnli"), {"split": "validation_matched"}),
    "stsb/train": (("nyu-mll/glue", "stsb"), {"split": "train"}),
    "stsb/validation": (("nyu-mll/glue", "stsb"), {"split": "validation"}),
}
for split in ("train", "validation", "test"):
    LOADS[f"snli/{split}"] = (("stanfordnlp/snli",), {"split": split})
    LOADS[f"mteb/{split}"] = (("mteb/stsbenchmark-sts",), {"split": split})
    LOADS[f"mteb@rev/{split}"] = (("mteb/stsbenchmark-sts",), {"split": split, "revision": REV})
out = {}
for key, (args, kwargs) in LOADS.items():
    d = load_dataset(*args, **kwargs)
    label = d.features.get("label")
    out[key] = {
        "columns": d.column_names,
        "rows": d.num_rows,
        "label": type(label).__name__ + str(getattr(label, "names", getattr(label, "dtype", ""))),
        "idx": str(d.features["idx"].dtype) if "idx" in d.features else None,
        "unlabelled": sum(1 for x in d["label"] if x == -1) if label else None,
        "split_column": sorted(set(d["split"])) if "split" in d.features else None,
    }
print("RESULT " + json.dumps(out))
"""


def test_datasets_load_by_hub_id(run_on_hub, loopback_hub, hub_data_dir):
    since = len(loopback_hub.requests)
    out = result(run_on_hub(DATASETS_CODE.replace("REV", repr(MTEB_REVISION)), timeout=300))
    for split in ("train", "validation_matched"):
        got = out[f"mnli/{split}"]
        assert got["columns"] == ["premise", "hypothesis", "label", "idx"]
        assert got["rows"] == source_rows(hub_data_dir, "mnli", split)
        assert (got["label"], got["idx"], got["unlabelled"]) == (
            f"ClassLabel{NLI_NAMES}",
            "int32",
            0,
        )
    for split in ("train", "validation"):
        got = out[f"stsb/{split}"]
        assert got["columns"] == ["sentence1", "sentence2", "label", "idx"]
        assert got["rows"] == source_rows(hub_data_dir, "stsb", split)
        assert (got["label"], got["idx"]) == ("Valuefloat32", "int32")
    for split in ("train", "validation", "test"):
        got = out[f"snli/{split}"]
        assert got["columns"] == ["premise", "hypothesis", "label"]  # no idx on the Hub's SNLI
        assert got["rows"] == source_rows(hub_data_dir, "snli", split) + SNLI_UNLABELLED
        assert (got["label"], got["unlabelled"]) == (f"ClassLabel{NLI_NAMES}", SNLI_UNLABELLED)
    for split, source in STSB_SPLITS.items():
        for key in (f"mteb/{split}", f"mteb@rev/{split}"):
            assert out[key]["columns"] == MTEB_COLUMNS
            assert out[key]["rows"] == source_rows(hub_data_dir, "stsb", source)
            assert out[key]["split_column"] == [split]
    assert any(MTEB_REVISION in r.path for r in loopback_hub.requests[since:])
    shapes = loopback_hub.request_shapes(since)
    assert "GET /api/datasets/{repo}/revision/{sha} 200" in shapes
    assert "HEAD /datasets/{repo}/resolve/{sha}/{file} 302" in shapes  # Parquet: LFS redirect
    assert "GET /_lfs/{sha256} 200" in shapes


MODELS_CODE = """
import json
import transformers
from sentence_transformers import CrossEncoder, SentenceTransformer
from sentence_transformers.sentence_transformer.modules import Pooling, Transformer

minilm = SentenceTransformer("MINILM")
cross = CrossEncoder("MINILM", num_labels=1)
auto = transformers.AutoModel.from_pretrained("BERT_MINI")
module = Transformer("BERT_MINI")
mini = SentenceTransformer(modules=[module, Pooling(module.get_embedding_dimension())])
print("RESULT " + json.dumps({
    "minilm": list(minilm.encode(["A man plays a flute."]).shape),
    "cross": list(cross.predict([("A man plays a flute.", "Someone makes music.")]).shape),
    "auto": auto.config.hidden_size,
    "mini": list(mini.encode(["A man plays a flute."]).shape),
}))
"""


def test_models_load_by_hub_id(run_on_hub, loopback_hub):
    since = len(loopback_hub.requests)
    code = MODELS_CODE.replace("MINILM", MINILM_ID).replace("BERT_MINI", BERT_MINI_ID)
    out = result(run_on_hub(code, timeout=300))
    width = json.loads((REPO_ROOT / "embedlab" / "base_model" / "config.json").read_text())
    width = width["hidden_size"]
    assert out == {"minilm": [1, 384], "cross": [1], "auto": width, "mini": [1, width]}
    shapes = loopback_hub.request_shapes(since)
    assert {"GET /api/models/{repo} 200", "HEAD /{repo}/resolve/{sha}/{file} 302"} <= shapes
    assert "GET /api/models/{repo}/tree/main?recursive=true&expand=false 200" in shapes


CLIENT_CODE = """
import json, pathlib, tempfile
import huggingface_hub as hh
from huggingface_hub.errors import EntryNotFoundError, RepositoryNotFoundError

out = {"sha": hh.model_info("MINILM").sha}
out["timeout_id"] = hh.HfApi().model_info("BERT_MINI", timeout=3).id
for repo in ("bert-base-uncased", "embedlab-test/no-such-model"):
    try:
        hh.model_info(repo)
    except RepositoryNotFoundError as error:
        out[repo] = type(error).__name__
try:
    hh.hf_hub_download("BERT_MINI", "no-such-file.json")
except EntryNotFoundError as error:
    out["missing_file"] = type(error).__name__
folder = pathlib.Path(tempfile.mkdtemp())
hh.snapshot_download("MINILM", local_dir=folder, allow_patterns=["*.json", "1_Pooling/*"])
out["snapshot"] = sorted(p.relative_to(folder).as_posix() for p in folder.glob("**/*.json")
                         if ".cache" not in p.parts)
out["config"] = json.loads(pathlib.Path(hh.hf_hub_download("BERT_MINI", "config.json")).read_text())
paths = ["config.json", "1_Pooling", "no-such-file", "model.safetensors"]
infos = hh.HfApi().get_paths_info("MINILM", paths)
out["paths_info"] = [[p.path, type(p).__name__, bool(getattr(p, "lfs", None))] for p in infos]
with hh.HfFileSystem().open("datasets/nyu-mll/glue/mnli/train-00000-of-00001.parquet") as f:
    f.seek(-4, 2)
    out["parquet_tail"] = f.read().decode()  # a ranged read through the LFS redirect
print("RESULT " + json.dumps(out))
"""


def test_hub_client_calls(run_on_hub, loopback_hub):
    code = CLIENT_CODE.replace("MINILM", MINILM_ID).replace("BERT_MINI", BERT_MINI_ID)
    out = result(run_on_hub(code, timeout=120))
    assert out["sha"] == loopback_hub.repos["model", MINILM_ID].sha
    assert out["timeout_id"] == BERT_MINI_ID
    assert (
        out["bert-base-uncased"] == out["embedlab-test/no-such-model"] == "RepositoryNotFoundError"
    )
    assert out["missing_file"] == "RemoteEntryNotFoundError"
    wanted = [n for n in loopback_hub.repos["model", MINILM_ID].files if n.endswith(".json")]
    assert out["snapshot"] == sorted(wanted) and "1_Pooling/config.json" in wanted
    assert out["config"] == json.loads((REPO_ROOT / "embedlab/base_model/config.json").read_text())
    assert out["paths_info"] == [
        ["config.json", "RepoFile", False],
        ["1_Pooling", "RepoFolder", False],
        ["model.safetensors", "RepoFile", True],
    ]
    assert out["parquet_tail"] == "PAR1"


EMBEDLAB_CODE = """
import json, sys
import embedlab as el

if not el.sources.hub_reachable():
    sys.exit(f"embedlab does not take the loopback hub for a Hub: {el.sources.probe_hub()}")
snli = el.load_nli("snli", "validation")
mnli = el.load_nli("mnli", "train")
stsb = el.load_stsb("validation")
model = el.load_pretrained_model()
print("RESULT " + json.dumps({
    "snli": [len(snli), min(snli["label"])],
    "mnli": [len(mnli), mnli.column_names],
    "stsb": [len(stsb), stsb.column_names],
    "minilm": [model.embedlab_source, list(model.encode(["A dog runs."]).shape)],
    "bert_mini": el.models.locate_model("BERT_MINI"),
}))
"""


def test_embedlab_loads_through_the_hub(run_on_hub, hub_data_dir):
    out = result(run_on_hub(EMBEDLAB_CODE.replace("BERT_MINI", BERT_MINI_ID), timeout=300))
    assert out["snli"] == [source_rows(hub_data_dir, "snli", "validation"), 0]  # -1 rows dropped
    assert out["mnli"] == [
        source_rows(hub_data_dir, "mnli", "train"),
        ["premise", "hypothesis", "label", "idx"],
    ]
    assert out["stsb"] == [
        source_rows(hub_data_dir, "stsb", "validation"),
        ["sentence1", "sentence2", "label", "idx"],
    ]
    assert out["minilm"][1] == [1, 384]
    assert out["bert_mini"] == [BERT_MINI_ID, "Hugging Face Hub"]


@pytest.mark.parametrize("path", ["/api/models/org/unknown", "/org/unknown/resolve/main/x.json"])
def test_unknown_repo_is_not_found(loopback_hub, path):
    status, headers, body = fetch(loopback_hub.url + path)
    assert (status, headers["X-Error-Code"], json.loads(body)["error"]) == (
        404,
        "RepoNotFound",
        "Repository not found",
    )
