"""Shared fixtures: a deterministic fake embedder and throwaway corpora."""
from __future__ import annotations

import atexit
import hashlib
import os
import re
import shutil
import tempfile
from pathlib import Path

import numpy as np
import pytest

from rag.embedding.protocol import Embedder

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT / "seeds"
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")  # the CLI sets these at its edge; tests import the library directly
# The user's own data (uploads) is never read or written by tests: commands and servers started here
# (they inherit this) get an empty data home of their own.
os.environ["RAG_DATA_DIR"] = tempfile.mkdtemp(prefix="rag-test-data-")
atexit.register(shutil.rmtree, os.environ["RAG_DATA_DIR"], True)


class FakeEmbedder(Embedder):
    """Bag of hashed lower-cased words, L2-normalised: same text, same vector;
    texts sharing words are close. Counts calls so tests can see reuse."""

    name = "fake-hash-64"

    def __init__(self, dim: int = 64):
        self._dim = dim
        self.calls = 0
        self.texts_embedded = 0

    @property
    def dim(self) -> int:
        return self._dim

    def embed(self, texts, *, progress=False):
        self.calls += 1
        self.texts_embedded += len(texts)
        out = np.zeros((len(texts), self._dim), dtype=np.float32)
        for i, text in enumerate(texts):
            for word in re.findall(r"\w+", text.lower()):
                h = int(hashlib.md5(word.encode()).hexdigest(), 16)
                out[i, h % self._dim] += 1.0 if (h >> 64) % 2 else -1.0
            norm = np.linalg.norm(out[i])
            out[i] = out[i] / norm if norm else out[i]
            if not norm:
                out[i, 0] = 1.0
        return out


class ChunkMeanFake(FakeEmbedder):
    """FakeEmbedder whose chunk vectors a build makes as the mean of its sentences' (the real default)."""

    name = "fake-hash-64+chunk-mean"

    @property
    def chunks_from_sentences(self) -> bool:
        return True


@pytest.fixture
def fake_embedder():
    return FakeEmbedder()


@pytest.fixture
def seeds_copy(tmp_path) -> Path:
    """A private copy of the bundled articles that a test may edit."""
    dst = tmp_path / "seeds"
    shutil.copytree(SEEDS, dst, ignore=shutil.ignore_patterns(".rag-index"))
    return dst


@pytest.fixture(scope="session")
def real_embedder():
    from rag.embedding.sentence_embedder import SentenceTransformerEmbedder

    return SentenceTransformerEmbedder()


class ScriptedChat:
    """A ChatModel that replies from a script, one reply per call (for unit tests of what
    the assistant does with a proposal; integration tests use the real model)."""

    name = "scripted"

    def __init__(self, *replies: str, check: str = "yes", answers: str | None = None):
        """``check`` is the reply to every confirmation prompt (rag.answer.confirm), kept apart in ``checks``;
        ``answers``, if given, replaces it for the question whether the context answers at all."""
        self.replies, self.calls, self.check, self.checks = list(replies), [], check, []
        self.answers = check if answers is None else answers

    def complete(self, messages, *, max_tokens=48, timeout=30.0, on_token=None):
        from rag.answer import confirm

        if confirm.is_check(messages):
            self.checks.append(messages)
            return self.answers if messages[-1]["content"].endswith(confirm.ANSWERS) else self.check
        self.calls.append(messages)
        reply = self.replies.pop(0) if self.replies else "unanswerable"
        if on_token is not None:
            for piece in reply.split(" "):
                on_token(piece + " ")
        return reply


@pytest.fixture(scope="module")
def seeds_index(tmp_path_factory):
    """The bundled articles indexed once per module with the fake embedder."""
    from rag.index.open_index import open_index

    embedder = FakeEmbedder()
    index, _ = open_index(SEEDS, embedder=embedder, index_dir=tmp_path_factory.mktemp("fake-index"))
    return index, embedder


def make_evidence(doc_id: str, start: int, text: str, *, source: str | None = "Daily Sabah",
                  title: str = "Talks in Ankara", coverage: float = 0.9, names_ok: bool = True,
                  predicate_ok: bool | None = True, score: float = 0.8):
    """An evidence sentence as the scorer would rank it, for unit tests of what reads evidence."""
    from rag.answer.evidence import Evidence
    from rag.records import Passage

    passage = Passage(doc_id=doc_id, title=title, source=source, date="2020-02-28", source_path=f"{doc_id}.txt",
                      chunk_id=f"{doc_id}-c", text=text, start=start, end=start + len(text), score=1.0)
    return Evidence(row=0, doc_id=doc_id, text=text, start=start, end=start + len(text), passage=passage,
                    dense=0.8, coverage=coverage, names_ok=names_ok, predicate_ok=predicate_ok, attribute_ok=None,
                    score=score)
