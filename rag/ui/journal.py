"""The upload journal: what an upload in progress has put into the articles folder.

An upload saves files, then re-indexes. A server killed in between (or while
saving) would leave files in the folder that nobody was told about. So each
file is written to the journal *before* it is linked into the folder, and the
journal is removed once the index holds the upload (or the upload was undone).
At the next start, a journal left behind says what happened to each file:

- in the folder with the journaled content: the start-up indexing took it in,
  and the user is told it was added after the interruption;
- missing (the kill came before it was saved): the user is told to upload it again.

The journal is a hidden file in the folder (never indexed), replaced atomically.

Example:
    >>> import tempfile; from pathlib import Path; folder = Path(tempfile.mkdtemp())
    >>> j = UploadJournal(folder); j.plan("a.txt", b"text"); (folder / "a.txt").write_bytes(b"text")
    4
    >>> j.recover(indexed={folder / "a.txt"})
    ['a.txt was added to the index at this start: an earlier upload was interrupted before it finished.']
"""
from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

NAME = ".upload-journal.json"


class UploadJournal:
    """The files of the upload in progress, as ``{"name", "sha256"}`` entries."""

    def __init__(self, folder: str | Path):
        self.folder = Path(folder)
        self.path = self.folder / NAME
        self.entries: list[dict] = []

    def _write(self) -> None:
        tmp = self.path.with_name(f"{NAME}.tmp")
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump(self.entries, f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, self.path)

    def plan(self, name: str, data: bytes) -> None:
        """Record that ``data`` is about to be saved as ``name`` (before it is)."""
        self.entries.append({"name": name, "sha256": hashlib.sha256(data).hexdigest()})
        self._write()

    def unplan(self) -> None:
        """The last planned name was taken: forget it (the next name is planned next)."""
        self.entries.pop()
        self._write()

    def clear(self) -> None:
        """The upload finished or was undone: nothing to recover."""
        self.entries = []
        self.path.unlink(missing_ok=True)

    def recover(self, indexed: set[Path]) -> list[str]:
        """Notices for the user about an upload a crash interrupted (none if there was
        none); ``indexed`` holds the resolved paths of the documents now indexed.
        Removes the journal and the temporary files a killed upload left."""
        for leftover in self.folder.glob(".upload-*.tmp"):
            leftover.unlink(missing_ok=True)
        try:
            entries = json.loads(self.path.read_text(encoding="utf-8"))
            entries = [e for e in entries if isinstance(e, dict) and isinstance(e.get("name"), str)]
        except FileNotFoundError:
            return []
        except (OSError, ValueError, TypeError):
            entries = []
        notices = []
        for entry in entries:
            path = self.folder / Path(entry["name"]).name
            ours = path.is_file() and not path.is_symlink() and \
                hashlib.sha256(path.read_bytes()).hexdigest() == entry.get("sha256")
            if ours and path.resolve() in indexed:
                notices.append(f"{path.name} was added to the index at this start: an earlier upload was "
                               "interrupted before it finished.")
            elif ours:
                notices.append(f"{path.name} is in the articles folder but could not be indexed; see the "
                               "server's warnings.")
            else:
                notices.append(f"{path.name} was not added: an earlier upload was interrupted before the file "
                               "was saved. Upload it again.")
        self.clear()
        return notices
