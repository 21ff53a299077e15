"""Has a folder of articles changed since its index was written? Stat first, hash only what changed.

Opening an index used to re-read and re-clean every article to compute the corpus hash. Instead,
after a build or a verified open, each article file's size, modification time, inode and sha256 are
recorded beside the index together with the corpus hash they produced. The next open lists and stats
the folders (no file is read): when every stat matches, the corpus is the one recorded; a file whose
stat changed is read and hashed, and when its bytes are the same (a ``touch``, a copy back) the corpus
still is. Anything else (a file added, removed or edited, another version of the code that reads
articles) says "changed", and the caller reads the corpus as before.

The record is a cache: it lives outside the checksummed generations, a missing or unreadable one
only costs a full read, and it is written only when no file changed while it was taken.

Example:
    >>> import tempfile; from pathlib import Path; d = Path(tempfile.mkdtemp()); f = d / "a.txt"
    >>> _ = f.write_text("news"); before = stat_files([d]); record(d / "stamps.json", "h1", [d], before, ["w"])
    >>> unchanged(d / "stamps.json", "h1", [d]), unchanged(d / "stamps.json", "h2", [d])
    (['w'], None)
    >>> _ = f.write_text("new!"); unchanged(d / "stamps.json", "h1", [d]) is None
    True
"""
from __future__ import annotations

import hashlib
import os
from functools import lru_cache
from pathlib import Path

from rag.ingest.files import article_paths
from rag.json_cache import read_object, write_object
from rag.ingest.sidecar import SIDECAR

Stat = tuple[int, int, int]  # size, modification time (ns), inode


@lru_cache(maxsize=1)
def code_version() -> str:
    """sha256 of the package's sources: another version of the code may clean articles differently,
    and so give another corpus hash for the same files."""
    digest = hashlib.sha256()
    package = Path(__file__).resolve().parents[1]
    for path in sorted(package.rglob("*.py")):
        digest.update(path.relative_to(package).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def stat_files(folders: list[str | Path]) -> dict[str, Stat]:
    """Each article file (as ingestion lists them) and metadata sidecar of ``folders``, by path."""
    out = {}
    for folder in folders:
        try:
            paths = [*article_paths(folder).files, os.path.join(str(Path(folder)), SIDECAR)]
        except OSError:  # a folder that is not there holds no article
            continue
        for path in paths:
            try:
                st = os.stat(path, follow_symlinks=False)
            except OSError:  # no sidecar, or removed since the listing
                continue
            out[path] = (st.st_size, st.st_mtime_ns, st.st_ino)
    return out


def _sha256(path: str) -> str | None:
    try:
        with open(path, "rb") as f:
            return hashlib.file_digest(f, "sha256").hexdigest()
    except OSError:
        return None



def unchanged(stamp_file: str | Path, corpus_hash: str, folders: list[str | Path],
              now: dict[str, Stat] | None = None) -> list[str] | None:
    """The warnings recorded with the corpus when ``folders`` still hold the articles that gave
    ``corpus_hash``; None when that is not known to be so (then read the corpus). ``now``: the
    folders' :func:`stat_files`, when the caller has just taken them."""
    data = read_object(Path(stamp_file))
    if (data.get("corpus_hash") != corpus_hash or data.get("code") != code_version()
            or data.get("folders") != [str(f) for f in folders]):
        return None
    known, now = data.get("files", {}), stat_files(folders) if now is None else now
    if known.keys() != now.keys():
        return None
    touched = {}
    for path, stat in now.items():
        size, mtime, inode, sha = known[path]
        if (size, mtime, inode) != stat:
            if size != stat[0] or _sha256(path) != sha:
                return None
            touched[path] = [*stat, sha]  # same bytes, new stat: remember it, so it is read only once
    if touched:
        write_object(Path(stamp_file), {**data, "files": {**known, **touched}})
    return list(data.get("warnings", []))


def same_files(stamp_file: str | Path, folders: list[str | Path], now: dict[str, Stat]) -> tuple[set[str], list[str]]:
    """The article files of ``folders`` whose stat (``now``) is the one recorded, and the warnings recorded
    with them: none when the record was made for other folders or code, or a metadata sidecar changed
    (it may change any article's metadata). What an update need not read again."""
    data = read_object(Path(stamp_file))
    known = data.get("files", {})
    if data.get("code") != code_version() or data.get("folders") != [str(f) for f in folders]:
        return set(), []
    same = {path for path, stat in now.items() if tuple(known.get(path, ())[:3]) == stat}
    if any(os.path.basename(path) == SIDECAR and path not in same for path in {*now, *known}):
        return set(), []
    return same, list(data.get("warnings", []))


def record(stamp_file: str | Path, corpus_hash: str, folders: list[str | Path], before: dict[str, Stat],
           warnings: list[str]) -> None:
    """Remember that ``folders`` gave ``corpus_hash`` (and ``warnings``) when read after the stats
    ``before`` were taken. Nothing is written when a file changed since (its stat differs): the
    record would otherwise vouch for bytes that were never read."""
    stamp_file = Path(stamp_file)
    old = read_object(stamp_file).get("files", {})
    files = {}
    for path, stat in before.items():
        prior = old.get(path)
        sha = prior[3] if prior and tuple(prior[:3]) == stat else _sha256(path)
        if sha is None:
            return
        files[path] = [*stat, sha]
    if stat_files(folders) != before:
        return
    write_object(stamp_file, {"corpus_hash": corpus_hash, "code": code_version(), "folders": [str(f) for f in folders],
                        "files": files, "warnings": list(warnings)})

