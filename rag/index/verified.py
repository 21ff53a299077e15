"""Which files of an index generation were already checked byte for byte: a stat cache, so opening an
unchanged index does not read and hash every file again (issue 14).

After a load has checked a file against the sha256 its generation lists, the file's size, modification
and change times (ns) and inode are recorded with that sha256 in ``index_dir/VERIFIED.json``, under the
generation's name and the digest of its CHECKSUMS. The next load trusts a file whose stat and expected
sha256 are exactly the recorded ones, and reads and hashes any other in full, as before.

What is checked, and what is not:

- any change made through the file system (an edit, a truncation, a file copied over it, even with the old
  modification time put back by ``touch -d`` or ``cp -p``) changes the size, the mtime or the ctime, which no
  program can set back; the file is then hashed again, and named in the error when its bytes differ;
- a change beneath the file system (a bad disk block, bits flipped on the device) keeps the stat, so it is
  found only once the stat changes or the cache goes: delete ``VERIFIED.json`` to have the next open check
  every byte;
- a file written twice within one tick of the file system's clock can keep its stat (the "racy" case
  git knows): a stat is only recorded when the file's mtime and ctime are :data:`SETTLED_NS` older than
  the check, so a file that was written in the last seconds is hashed on every open until it has settled.

The cache lives outside the checksummed generations: missing, damaged, or naming another generation, it
only costs a full check. Writers never write it; readers write it after a check, atomically.

Example (a file written just now has not settled, so it is not trusted yet):
    >>> import tempfile; from pathlib import Path; d = Path(tempfile.mkdtemp()); f = d / "a.bin"
    >>> _ = f.write_bytes(b"x"); cache = Verified(d, "gen-1", "c1")
    >>> cache.trusted("a.bin", f.stat(), "s"), cache.checked("a.bin", f.stat(), "s"), cache.save()
    (False, None, None)
    >>> Verified(d, "gen-1", "c1").trusted("a.bin", f.stat(), "s")
    False
"""
from __future__ import annotations

import os
import time
from pathlib import Path

from rag.json_cache import read_object, write_object

CACHE = "VERIFIED.json"
# Linux stamps files from a clock that ticks every few ms; FAT and some network file systems round to
# 1-2 s. A stat younger than this could still be shared by a later write of the same size.
SETTLED_NS = 3_000_000_000


def _key(st: os.stat_result, sha256: str) -> list:
    return [st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino, sha256]


class Verified:
    """The recorded stats of one generation's checked files; see the module docstring."""

    def __init__(self, index_dir: str | Path, generation: str, checksums_digest: str) -> None:
        self.path = Path(index_dir) / CACHE
        self.tag = [generation, checksums_digest]
        data = read_object(self.path)
        self.known: dict = data.get("files", {}) if data.get("generation") == self.tag else {}
        self.fresh: dict = {}

    def trusted(self, filename: str, st: os.stat_result, sha256: str) -> bool:
        """True when ``filename`` was checked with this very stat and held ``sha256`` then."""
        return self.known.get(filename) == _key(st, sha256)

    def checked(self, filename: str, st: os.stat_result, sha256: str) -> None:
        """Remember that the file with stat ``st`` (taken before it was read) hashed to ``sha256``."""
        if time.time_ns() - max(st.st_mtime_ns, st.st_ctime_ns) >= SETTLED_NS:
            self.fresh[filename] = _key(st, sha256)

    def save(self) -> None:
        if self.fresh:
            write_object(self.path, {"generation": self.tag, "files": {**self.known, **self.fresh}})
