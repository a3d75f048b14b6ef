"""A loopback Hugging Face Hub: the parts of the Hub's HTTP API that the tests' loaders use.

A standard-library HTTP server on 127.0.0.1 serves registered model and dataset repositories
from local files, so that ``huggingface_hub``, ``datasets``, ``transformers`` and
``sentence_transformers`` load them by Hub id when ``HF_ENDPOINT`` points here:

>>> hub = LoopbackHub()
>>> hub.add_repo("model", "org/name", Path("some/folder"))
>>> with hub:                                   # HF_ENDPOINT=hub.url in a subprocess
...     ...
>>> hub.request_shapes()                        # {"GET /api/models/{repo}", ...}

Answered: repository info (``/api/{kind}s/{id}[/revision/{rev}]``), tree listings
(``/api/{kind}s/{id}/tree/{rev}[/{dir}]``), ``POST .../paths-info/{rev}`` and file downloads
(``[/datasets]/{id}/resolve/{rev}/{file}``, HEAD and GET, with Range). Each repository has
one fixed commit: ``main`` and every 40-hex revision resolve to it. Large (LFS) files are
answered as the Hub does: a 302 to a "CDN" on another origin (``localhost`` instead of
``127.0.0.1``, same port) with ``X-Linked-Etag``/``X-Linked-Size``. Errors carry the Hub's
``X-Error-Code`` (``RepoNotFound``, ``RevisionNotFound``, ``EntryNotFound``), which
``huggingface_hub`` turns into its typed exceptions.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
from dataclasses import dataclass, field
from functools import cached_property
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import NamedTuple
from urllib.parse import parse_qs, unquote, urlsplit

import yaml

SHA_RE = re.compile(r"[0-9a-f]{40}")
LFS_SUFFIXES = (".safetensors", ".bin", ".parquet", ".gz", ".onnx", ".pt")
LFS_MIN_SIZE = 10 * 1024 * 1024
LAST_MODIFIED = "2024-01-01T00:00:00.000Z"
KINDS = {"models": "model", "datasets": "dataset", "spaces": "space"}


class Request(NamedTuple):
    """One answered request: method, path (with query) and status code."""

    method: str
    path: str
    status: int


@dataclass
class RepoFile:
    """A file of a repository, with the hashes the Hub reports for it (computed on first use)."""

    path: Path

    @cached_property
    def data(self) -> bytes:
        return self.path.read_bytes()

    @property
    def size(self) -> int:
        return self.path.stat().st_size

    @property
    def lfs(self) -> bool:
        return self.path.suffix in LFS_SUFFIXES or self.size >= LFS_MIN_SIZE

    @cached_property
    def git_oid(self) -> str:
        return hashlib.sha1(b"blob %d\0" % self.size + self.data).hexdigest()

    @cached_property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()

    @property
    def etag(self) -> str:
        return self.sha256 if self.lfs else self.git_oid


@dataclass
class Repo:
    """A registered repository: its kind, id, files by path and fixed commit sha."""

    kind: str
    repo_id: str
    files: dict[str, RepoFile]
    sha: str = field(init=False)

    def __post_init__(self) -> None:
        self.sha = hashlib.sha1(f"{self.kind}/{self.repo_id}".encode()).hexdigest()

    def folders(self) -> set[str]:
        return {"/".join(p.split("/")[:i]) for p in self.files for i in range(1, p.count("/") + 1)}

    def entry(self, path: str) -> dict:
        """The tree / paths-info entry of a file or folder."""
        if path not in self.files:
            oid = hashlib.sha1(path.encode()).hexdigest()
            return {"type": "directory", "oid": oid, "path": path}
        file = self.files[path]
        entry = {"type": "file", "oid": file.git_oid, "size": file.size, "path": path}
        if file.lfs:
            entry["lfs"] = {"oid": file.sha256, "size": file.size, "pointerSize": 134}
        return entry

    def card_data(self) -> dict | None:
        readme = self.files.get("README.md")
        text = readme.data.decode() if readme else ""
        if not text.startswith("---"):
            return None
        return yaml.safe_load(text.split("---", 2)[1])

    def info(self, sha: str) -> dict:
        info = {"_id": self.sha[:24], "id": self.repo_id, "author": self.repo_id.split("/")[0]}
        info |= {"sha": sha, "lastModified": LAST_MODIFIED, "createdAt": LAST_MODIFIED}
        info |= {"private": False, "gated": False, "disabled": False, "downloads": 0, "likes": 0}
        info |= {"tags": [], "siblings": [{"rfilename": p} for p in sorted(self.files)]}
        if self.kind == "model":
            info["modelId"] = self.repo_id
        if (card := self.card_data()) is not None:
            info["cardData"] = card
        return info


class LoopbackHub:
    """A Hub on ``127.0.0.1`` (a free port) serving registered repositories; see the module."""

    def __init__(self) -> None:
        self.repos: dict[tuple[str, str], Repo] = {}
        self.requests: list[Request] = []
        self.blobs: dict[str, RepoFile] = {}  # sha256 -> LFS file, as served by the "CDN"
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    def add_repo(self, kind: str, repo_id: str, files: dict[str, Path] | Path) -> Repo:
        """Register a ``"model"`` or ``"dataset"`` repo from ``{path in repo: file}`` or a folder."""
        if isinstance(files, Path):
            files = {p.relative_to(files).as_posix(): p for p in files.rglob("*") if p.is_file()}
        repo = Repo(kind, repo_id, {name: RepoFile(Path(p)) for name, p in sorted(files.items())})
        self.repos[kind, repo_id] = repo
        return repo

    @property
    def url(self) -> str:
        assert self._server is not None, "start() the hub first"
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> LoopbackHub:
        handler = type("Handler", (_Handler,), {"hub": self})
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> LoopbackHub:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def log(self, request: Request) -> None:
        with self._lock:
            self.requests.append(request)

    def request_shapes(self, since: int = 0) -> set[str]:
        """The answered requests from ``since`` on, as ``"GET /api/models/{repo} 200"`` shapes."""
        with self._lock:
            requests = self.requests[since:]
        ids = sorted({r.repo_id for r in self.repos.values()}, key=len, reverse=True)
        shapes = set()
        for method, path, status in requests:
            for repo_id in ids:
                path = path.replace(f"/{repo_id}/", "/{repo}/")
                path = path[: -len(repo_id)] + "{repo}" if path.endswith(f"/{repo_id}") else path
            path = SHA_RE.sub("{sha}", re.sub(r"/_lfs/[0-9a-f]{64}", "/_lfs/{sha256}", path))
            path = re.sub(r"(/resolve/[^/]+)/[^?]+", r"\1/{file}", path)
            path = re.sub(r"(/tree/[^/?]+)/[^?]+", r"\1/{dir}", path)
            shapes.add(f"{method} {path} {status}")
        return shapes

    def find(self, kind: str, rest: str) -> tuple[Repo | None, str]:
        """The repo of ``kind`` whose id starts ``rest``, and what follows the id."""
        for (repo_kind, repo_id), repo in self.repos.items():
            if repo_kind == kind and (rest == repo_id or rest.startswith(repo_id + "/")):
                return repo, rest[len(repo_id) + 1 :]
        return None, ""


class _Handler(BaseHTTPRequestHandler):
    hub: LoopbackHub
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:  # quiet
        pass

    def do_HEAD(self) -> None:
        self._route()

    def do_GET(self) -> None:
        self._route()

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        self._form = parse_qs(self.rfile.read(length).decode())
        self._route()

    def _route(self) -> None:
        url = urlsplit(self.path)
        path, query = url.path, parse_qs(url.query)
        if m := re.fullmatch(r"/api/(models|datasets|spaces)/(.+)", path):
            repo, rest = self.hub.find(KINDS[m[1]], m[2])
            if repo is None:
                return self._error(404, "RepoNotFound", "Repository not found")
            action, _, rest = rest.partition("/")
            rev, _, sub = rest.partition("/")
            if action not in ("", "revision", "tree", "paths-info"):
                return self._error(404, None, "Not found")
            sha = self._commit(repo, unquote(rev)) if action else repo.sha
            if sha is None:
                return None
            if action in ("", "revision"):
                return self._json(repo.info(sha))
            if action == "tree":
                return self._tree(repo, sha, unquote(sub).strip("/"), query)
            paths = [p.strip("/") for p in getattr(self, "_form", {}).get("paths", [])]
            known = repo.files.keys() | repo.folders()
            return self._json([repo.entry(p) for p in paths if p in known])
        if m := re.fullmatch(r"/_lfs/([0-9a-f]{64})", path):
            if m[1] not in self.hub.blobs:
                return self._error(404, None, "Not found")
            return self._file(self.hub.blobs[m[1]])
        kind, rest = (
            ("dataset", path[10:]) if path.startswith("/datasets/") else ("model", path[1:])
        )
        repo, rest = self.hub.find(kind, rest)
        if repo is None:
            return self._error(404, "RepoNotFound", "Repository not found")
        action, _, rest = rest.partition("/")
        rev, _, name = rest.partition("/")
        if action != "resolve":
            return self._error(404, None, "Not found")
        if (sha := self._commit(repo, unquote(rev))) is not None:
            if unquote(name) not in repo.files:
                return self._error(404, "EntryNotFound", "Entry not found", sha)
            self._file(repo.files[unquote(name)], sha)

    def _commit(self, repo: Repo, rev: str) -> str | None:
        """The commit ``rev`` names (``main``: the repo's; a 40-hex sha: itself), else a 404."""
        if rev == "main" or SHA_RE.fullmatch(rev):
            return repo.sha if rev == "main" else rev
        self._error(404, "RevisionNotFound", f"Invalid rev id: {rev}")
        return None

    def _tree(self, repo: Repo, sha: str, folder: str, query: dict[str, list[str]]) -> None:
        if folder and folder not in repo.folders():
            return self._error(404, "EntryNotFound", f"{folder} does not exist", sha)
        recursive = query.get("recursive", ["false"])[0].lower() == "true"
        prefix = folder + "/" if folder else ""
        names = [p for p in sorted(repo.files.keys() | repo.folders()) if p.startswith(prefix)]
        if not recursive:
            names = [p for p in names if "/" not in p[len(prefix) :]]
        self._json([repo.entry(p) for p in names])

    def _file(self, file: RepoFile, sha: str | None = None) -> None:
        """A file's headers (HEAD) or bytes (GET, with Range); LFS files redirect to the CDN.

        ``sha`` is the commit for ``/resolve``; ``None`` for the CDN, which knows no commits.
        """
        headers = {"ETag": f'"{file.etag}"', "Accept-Ranges": "bytes"}
        if sha is not None:
            headers["X-Repo-Commit"] = sha
        if file.lfs and sha is not None:
            headers |= {"X-Linked-Etag": f'"{file.sha256}"', "X-Linked-Size": str(file.size)}
            self.hub.blobs[file.sha256] = file
            port = self.server.server_address[1]
            headers["Location"] = f"http://localhost:{port}/_lfs/{file.sha256}"
            return self._send(302, b"", headers)
        start, end, status = 0, file.size - 1, 200
        if m := re.fullmatch(r"bytes=(\d*)-(\d*)", self.headers.get("Range", "")):
            if m[1]:
                start, end = int(m[1]), min(int(m[2] or end), end)
            else:  # a suffix: the last N bytes
                start = max(file.size - int(m[2]), 0)
            headers["Content-Range"] = f"bytes {start}-{end}/{file.size}"
            status = 206
        self._send(status, file.data[start : end + 1], headers, "application/octet-stream")

    def _json(self, body: object) -> None:
        self._send(200, json.dumps(body).encode(), {}, "application/json")

    def _error(self, status: int, code: str | None, message: str, sha: str | None = None) -> None:
        headers = {"X-Error-Message": message} | ({"X-Error-Code": code} if code else {})
        if sha is not None:
            headers["X-Repo-Commit"] = sha
        self._send(status, json.dumps({"error": message}).encode(), headers, "application/json")

    def _send(self, status: int, body: bytes, headers: dict[str, str], ctype: str = "") -> None:
        self.hub.log(Request(self.command, self.path, status))
        self.send_response(status)
        for key, value in headers.items() | ({"Content-Type": ctype}.items() if ctype else ()):
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)
