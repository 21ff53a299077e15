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
