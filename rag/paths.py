"""Where the project lives, and file paths as shown to the user (relative to it when inside).

Example:
    >>> resolve_path(display_path(PROJECT_ROOT / "seeds" / "a.txt")) == PROJECT_ROOT / "seeds" / "a.txt"
    True
"""
from __future__ import annotations

from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]


def display_path(path: str | Path) -> str:
    """Path relative to the project root when inside it, else absolute."""
    path = Path(path).resolve()
    try:
        return path.relative_to(PROJECT_ROOT).as_posix()
    except ValueError:
        return str(path)


def resolve_path(shown: str) -> Path:
    """Inverse of :func:`display_path`: an absolute path to open."""
    path = Path(shown)
    return path if path.is_absolute() else PROJECT_ROOT / path
