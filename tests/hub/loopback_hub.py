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
(``[/datasets]/{id}/resolve/{rev}/{file}``, HEAD and GET, with Range). ``main`` resolves to
each repository's fixed fake commit, and any 40-hex revision is answered as a commit of the
repository with the same files (mteb pins revisions); other revisions are not found. Large
(LFS) files are answered as the Hub does: a 302 to a "CDN" on another origin (``localhost``
instead of ``127.0.0.1``, same port) with ``X-Linked-Etag``/``X-Linked-Size``. Errors carry
the Hub's ``X-Error-Code`` (``RepoNotFound``, ``RevisionNotFound``, ``EntryNotFound``), which
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
# /api/{kind}s/{id}[/revision|tree|paths-info/{rev}[/{folder}]]
API_RE = r"/api/(model|dataset|space)s/(.+?)(?:/(revision|tree|paths-info)/([^/]+)(/.*)?)?"
RESOLVE_RE = r"/(datasets/)?(.+?)/resolve/([^/]+)/(.+)"  # [/datasets]/{id}/resolve/{rev}/{file}


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
    def size(self) -> int:
        return self.path.stat().st_size

    @property
    def lfs(self) -> bool:
        return self.path.suffix in LFS_SUFFIXES or self.size >= LFS_MIN_SIZE

    @cached_property
    def hashes(self) -> tuple[str, str]:
        """The git blob id (sha1 of ``blob <size>\\0<bytes>``) and the sha256 of the bytes."""
        git, sha256 = hashlib.sha1(b"blob %d\0" % self.size), hashlib.sha256()
        with self.path.open("rb") as f:
            while chunk := f.read(1 << 20):
                git.update(chunk)
                sha256.update(chunk)
        return git.hexdigest(), sha256.hexdigest()

    @property
    def etag(self) -> str:
        return self.hashes[1] if self.lfs else self.hashes[0]

    def read(self, start: int = 0, end: int | None = None) -> bytes:
        """Bytes ``start`` to ``end`` (inclusive; ``None``: to the end)."""
        with self.path.open("rb") as f:
            f.seek(start)
            return f.read(-1 if end is None else end + 1 - start)


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
        entry = {"type": "file", "oid": file.hashes[0], "size": file.size, "path": path}
        if file.lfs:
            entry["lfs"] = {"oid": file.hashes[1], "size": file.size, "pointerSize": 134}
        return entry

    def card_data(self) -> dict | None:
        readme = self.files.get("README.md")
        text = readme.read().decode() if readme else ""
        if not text.startswith("---"):
            return None
        return yaml.safe_load(text.split("---", 2)[1])

    def info(self, sha: str) -> dict:
        info = {"_id": self.sha[:24], "id": self.repo_id, "author": self.repo_id.split("/")[0]}
        info |= {"sha": sha, "lastModified": LAST_MODIFIED, "createdAt": LAST_MODIFIED}
        info |= {"private": False, "gated": False, "disabled": False, "downloads": 0, "likes": 0}
        info["siblings"] = [{"rfilename": p} for p in sorted(self.files)]
        if self.kind == "model":
            info["modelId"] = self.repo_id
        card = self.card_data()
        info["tags"] = list(card.get("tags") or []) if card else []
        return info | ({"cardData": card} if card else {})


class LoopbackHub:
    """A Hub on ``127.0.0.1`` (a free port) serving registered repositories; see the module."""

    def __init__(self) -> None:
        self.repos: dict[tuple[str, str], Repo] = {}
        self.requests: list[Request] = []
        self.blobs: dict[str, RepoFile] = {}  # sha256 -> LFS file, as served by the "CDN"
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    def add_repo(self, kind: str, repo_id: str, files: dict[str, Path] | Path) -> Repo:
        """Register a ``"model"``/``"dataset"`` repo from ``{path in repo: file}`` or a folder."""
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
        if m := re.fullmatch(API_RE, path):
            kind, repo_id, action, rev, folder = (g and unquote(g) for g in m.groups())
            if (repo := self.hub.repos.get((kind, repo_id))) is None:
                return self._error(404, "RepoNotFound", "Repository not found")
            if (sha := self._commit(repo, rev or "main")) is None:
                return None
            if action == "tree":
                return self._tree(repo, sha, (folder or "").strip("/"), query)
            if action == "paths-info":
                paths = [p.strip("/") for p in getattr(self, "_form", {}).get("paths", [])]
                known = repo.files.keys() | repo.folders()
                return self._json([repo.entry(p) for p in paths if p in known])
            return self._json(repo.info(sha))
        if m := re.fullmatch(r"/_lfs/([0-9a-f]{64})", path):
            if m[1] not in self.hub.blobs:
                return self._error(404, None, "Not found")
            return self._file(self.hub.blobs[m[1]])
        if m := re.fullmatch(RESOLVE_RE, path):
            kind, repo_id, rev, name = "dataset" if m[1] else "model", *map(unquote, m.groups()[1:])
            if (repo := self.hub.repos.get((kind, repo_id))) is None:
                return self._error(404, "RepoNotFound", "Repository not found")
            if (sha := self._commit(repo, rev)) is None:
                return None
            if name not in repo.files:
                return self._error(404, "EntryNotFound", "Entry not found", sha)
            return self._file(repo.files[name], sha)
        self._error(404, None, "Not found")

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
            headers |= {"X-Linked-Etag": f'"{file.etag}"', "X-Linked-Size": str(file.size)}
            self.hub.blobs[file.etag] = file
            port = self.server.server_address[1]
            headers["Location"] = f"http://localhost:{port}/_lfs/{file.etag}"
            return self._send(302, b"", headers)
        start, end, status = 0, file.size - 1, 200
        if m := re.fullmatch(r"bytes=(\d*)-(\d*)", self.headers.get("Range", "")):
            if m[1]:
                start, end = int(m[1]), min(int(m[2] or end), end)
            else:  # a suffix: the last N bytes
                start = max(file.size - int(m[2]), 0)
            headers["Content-Range"] = f"bytes {start}-{end}/{file.size}"
            status = 206
        self._send(status, file.read(start, end), headers, "application/octet-stream")

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
