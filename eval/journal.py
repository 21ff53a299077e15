"""A run's answers written as they come, so an interrupted evaluation loses nothing.

A 2,000-question run with the language model takes hours on a laptop; a
kill, a closed lid or Ctrl-C must not throw that away. Every asked
question's row goes to ``progress.jsonl`` in the output folder at once (one
JSON line, flushed); ``rag eval --resume`` with the same flags asks only the
questions not in it. The first line records the run's settings, and a
journal from a run with other settings is refused rather than mixed in. A
line cut short by a kill is the one question asked again. The journal is
removed once the run's report is written; a run started afresh over an
unfinished one moves that one aside to ``progress.prev.jsonl`` first.

Example:
    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "progress.jsonl"
    >>> with Journal.start(path, {"gold": "dev.jsonl", "limit": 2}) as journal:
    ...     journal.add({"answerer": "llm", "id": "q1", "short_answer": "33"})
    >>> again = Journal.start(path, {"gold": "dev.jsonl", "limit": 2}, resume=True)
    >>> again.done[("llm", "q1")]["short_answer"], again.close()
    ('33', None)
"""
from __future__ import annotations

import json
from pathlib import Path

NAME, PREVIOUS = "progress.jsonl", "progress.prev.jsonl"


class JournalError(ValueError):
    """A journal that cannot be resumed: other settings, or not a journal at all."""


class Journal:
    """Settings here (where, and the run's settings); rows go to :meth:`add`, those of a
    resumed run are in ``done``, keyed by (answerer, question id)."""

    def __init__(self, path: Path, done: dict, handle):
        self.path, self.done, self._handle = path, done, handle

    @classmethod
    def start(cls, path: str | Path, settings: dict, *, resume: bool = False) -> "Journal":
        """Open the journal at ``path``: continued when ``resume`` and it exists (its
        settings must equal ``settings``), else started afresh."""
        path = Path(path)
        done = _read(path, settings) if resume and path.exists() else None
        if done is None:
            path.parent.mkdir(parents=True, exist_ok=True)
            if path.exists():  # an unfinished run's answers, one accidental fresh start away from lost
                path.replace(path.with_name(PREVIOUS))
            with open(path, "w", encoding="utf-8") as f:
                f.write(json.dumps({"settings": settings}) + "\n")
            done = {}
        else:  # rewritten without a cut-off last line, so the rows appended next start on their own line
            lines = [json.dumps({"settings": settings})] + [json.dumps(r) for r in done.values()]
            tmp = path.with_suffix(".tmp")
            tmp.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
            tmp.replace(path)
        return cls(path, done, open(path, "a", encoding="utf-8"))

    def add(self, row: dict) -> None:
        """Record one asked question's row (it must carry ``answerer`` and ``id``)."""
        self._handle.write(json.dumps(row) + "\n")
        self._handle.flush()
        self.done[(row["answerer"], row["id"])] = row

    def close(self) -> None:
        self._handle.close()

    def finish(self) -> None:
        """The run is written: the journal has served and goes."""
        self.close()
        self.path.unlink(missing_ok=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def _read(path: Path, settings: dict) -> dict:
    lines = path.read_text(encoding="utf-8").splitlines()
    try:
        head = json.loads(lines[0])["settings"] if lines else None
    except (json.JSONDecodeError, KeyError, TypeError):
        head = None
    if not isinstance(head, dict):
        raise JournalError(f"{path} is not an evaluation journal (no settings line); remove it, or run "
                           "without --resume to start again.")
    if head != settings:
        diff = ", ".join(f"{k}: {head.get(k)!r} then, {settings.get(k)!r} now"
                         for k in sorted(set(head) | set(settings)) if head.get(k) != settings.get(k))
        raise JournalError(f"{path} was written by a run with other settings ({diff}); run with the same flags to "
                           "continue it, or without --resume to start again.")
    done = {}
    for line in lines[1:]:
        try:
            row = json.loads(line)
        except json.JSONDecodeError:  # cut short by a kill: that question is asked again
            continue
        if isinstance(row, dict) and "answerer" in row and "id" in row:
            done[(row["answerer"], row["id"])] = row
    return done
