"""What a model *is*: a sha256 over the files that decide its vectors, not its folder's name.

An index is only valid for the model that embedded it. Naming that model by
its folder ("all-MiniLM-L6-v2") refused the bundled model given by its own
path, and would accept two different models kept in folders of the same name.
The identity hashes every file that shapes the vectors (configuration,
tokenizer, pooling and normalisation modules, weights, custom code) by
relative path and content; documentation (README, model cards) is left out.

Hashing 90 MB of weights takes ~0.2 s, so a digest is remembered in
``<cache_dir>/model-ids.json`` (default ``~/.cache/rag``), keyed by each file's
size, modification time and inode: a changed file is hashed again.

Example:
    >>> import tempfile; from pathlib import Path; a, b = Path(tempfile.mkdtemp()), Path(tempfile.mkdtemp())
    >>> for d, readme in ((a, "one"), (b, "two")):
    ...     _ = (d / "config.json").write_text("{}"); _ = (d / "README.md").write_text(readme)
    >>> model_identity(a, cache=False) == model_identity(b, cache=False)
    True
"""
from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from rag.json_cache import read_object, write_object
from rag.paths import default_cache_dir

_SUFFIXES = {".json", ".txt", ".model", ".safetensors", ".bin", ".py", ".pt", ".pth", ".msgpack", ".h5"}
_SKIP_DIRS = {".git", ".cache", "onnx", "openvino"}  # other runtimes' copies; the loader never reads them here


def model_files(folder: Path) -> list[Path]:
    """The files that decide the model's vectors, in a stable order."""
    out = []
    for here, dirs, names in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if d not in _SKIP_DIRS)
        for name in names:
            path = Path(here) / name
            if path.suffix.lower() in _SUFFIXES and not name.lower().startswith(("readme", "license")):
                out.append(path)
    return sorted(out, key=lambda p: p.relative_to(folder).as_posix())


def _cache_path(cache_dir: str | Path | None) -> Path:
    return Path(cache_dir if cache_dir is not None else default_cache_dir()) / "model-ids.json"


def model_identity(folder: str | Path, *, cache: bool = True, cache_dir: str | Path | None = None) -> str:
    """``sha256:<hex>`` of the model in ``folder``, the same for any path to the same files.
    With ``cache``, the digest is remembered in ``cache_dir/model-ids.json`` (default
    :func:`rag.paths.default_cache_dir`) under the files' sizes and times."""
    folder = Path(folder).resolve()
    files = model_files(folder)
    stamp = hashlib.sha256(json.dumps([(p.relative_to(folder).as_posix(), *_stat(p)) for p in files]).encode())
    key, stamp = str(folder), stamp.hexdigest()
    known = read_object(_cache_path(cache_dir)) if cache else {}
    if known.get(key, {}).get("stamp") == stamp:
        return known[key]["identity"]
    digest = hashlib.sha256()
    for path in files:
        digest.update(path.relative_to(folder).as_posix().encode() + b"\0")
        with open(path, "rb") as f:
            digest.update(hashlib.file_digest(f, "sha256").digest())
    identity = f"sha256:{digest.hexdigest()}"
    if cache:
        write_object(_cache_path(cache_dir), {**known, key: {"stamp": stamp, "identity": identity}})
    return identity


def _stat(path: Path) -> tuple[int, int, int]:
    st = path.stat()
    return st.st_size, st.st_mtime_ns, st.st_ino


