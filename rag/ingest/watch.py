"""Watch folders of articles and say when an article was added, changed or removed.

``rag serve`` keeps its index in memory; without this, an article edited or
deleted outside the chat would be answered from its old text until a restart.
The watcher polls (no dependency, works on every file system, network mounts
included): every ``interval`` seconds it lists the article files as ingestion
does (links and hidden files left out) with their size, modification time and
inode, plus ``metadata.json``, and calls ``on_change`` when that list differs.
A listing costs one ``stat`` per file (~10 ms for 1,000 files).

Example:
    >>> import tempfile; from pathlib import Path; d = Path(tempfile.mkdtemp())
    >>> seen = []; w = FolderWatcher(d, lambda: seen.append(1))
    >>> (d / "a.txt").write_text("news"); w.check(), w.check(), seen
    4
    (True, False, [1])
"""
from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Callable

from rag.ingest.stamps import stat_files

log = logging.getLogger("rag.ingest.watch")


class FolderWatcher:
    """Calls ``on_change()`` (from its own thread once started) after the articles of
    ``folders`` (one folder or several: the corpus and the uploads) change. A failing
    ``on_change`` is logged and tried again at the next change; it may be set after
    the first look, which is taken here."""

    def __init__(self, folders: str | Path | list, on_change: Callable[[], object] | None = None, *,
                 interval: float = 2.0):
        if interval <= 0:
            raise ValueError(f"interval is seconds between looks, above 0; got {interval}.")
        self.folders = [Path(f) for f in (folders if isinstance(folders, (list, tuple)) else [folders])]
        self.on_change = on_change
        self.interval = interval
        self._last = self.snapshot()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def snapshot(self) -> frozenset:
        """What identifies the folders' articles now: name, size, modification time, inode."""
        return frozenset((path, *stat) for path, stat in stat_files(self.folders).items())

    def check(self) -> bool:
        """Look once; True (after calling ``on_change``) when the articles changed."""
        now = self.snapshot()
        if now == self._last:
            return False
        self._last = now
        try:
            if self.on_change is not None:
                self.on_change()
        except Exception:  # noqa: BLE001 - a watcher that dies would serve stale text silently
            log.exception("the articles in %s changed, but the index could not be refreshed",
                          ", ".join(map(str, self.folders)))
        return True

    def start(self) -> "FolderWatcher":
        def loop():
            while not self._stop.wait(self.interval):
                self.check()

        self._thread = threading.Thread(target=loop, name="rag-folder-watch", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=self.interval + 5)
