"""What every embedder is: one method, ``embed(texts) -> (n, dim) float32`` with L2-normalised rows.

Everything downstream (index build, retrieval, evidence scoring) depends on this class only, so a test can
pass a fake (tests/conftest.py) and a server-side model can be added without touching the index.

Example:
    >>> import numpy as np
    >>> class Ones(Embedder):
    ...     dim = 2
    ...     def embed(self, texts, *, progress=False):
    ...         return np.full((len(texts), 2), 2 ** -0.5, np.float32)
    >>> Ones().embed(["a", "b"]).shape, Ones().identity
    ((2, 2), 'embedder')
"""
from __future__ import annotations

from abc import ABC, abstractmethod

import numpy as np


class Embedder(ABC):
    """Turns texts into unit vectors. ``name`` is shown in messages; ``identity``,
    recorded in the index manifest, says which model made the vectors (an index
    is only valid for the same identity)."""

    name: str = "embedder"

    @property
    def identity(self) -> str:
        return self.name

    @property
    @abstractmethod
    def dim(self) -> int: ...

    @abstractmethod
    def embed(self, texts: list[str], *, progress: bool = False) -> np.ndarray: ...

    @property
    def chunks_from_sentences(self) -> bool:
        """True when a chunk's vector is the normalised mean of its sentences' vectors, so a build
        reads each sentence once and no chunk text (:mod:`rag.index.unit_vectors`)."""
        return False

    @property
    def pools_spans(self) -> bool:
        """True when :meth:`embed_spans` pools spans from the texts' own pass (no extra model work)."""
        return False

    def embed_spans(self, texts: list[str], spans: list[list[tuple[int, int]]], *,
                    progress: bool = False) -> tuple[np.ndarray, list[list[np.ndarray | None]]]:
        """Vectors of ``texts`` and of the character spans ``spans[i]`` inside each ``texts[i]``
        (a chunk and its sentences). This default embeds every span's text on its own; an
        embedder that can pool a span from the text's own forward pass overrides it, and may
        return None for a span it could not pool (the caller then embeds it alone)."""
        flat = [texts[i][a:b] for i, row in enumerate(spans) for a, b in row]
        vectors = self.embed(list(texts) + flat, progress=progress)
        rows, out = iter(vectors[len(texts):]), []
        for row in spans:
            out.append([next(rows) for _ in row])
        return vectors[: len(texts)], out
