"""The shared vocabulary: small dataclasses passed between every stage.

Offsets are character offsets into the decoded source file, so that
``open(path, encoding="utf-8", errors="replace").read()[start:end]`` returns
exactly the text a record carries.

Example:
    >>> s = Span(4, 9)
    >>> "The cat sat"[s.start:s.end]
    'cat s'
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field


@dataclass(frozen=True)
class Span:
    """A half-open character range ``[start, end)`` into a document's text."""

    start: int
    end: int


@dataclass(frozen=True)
class Document:
    """One source file after ingestion.

    ``text`` is the whole decoded file (furniture included, so offsets hold);
    ``blocks`` are the spans of article text that survived cleaning, in order;
    ``sections`` group consecutive blocks with no furniture between them, so a
    chunk never straddles dropped text. ``date`` is ISO ``YYYY-MM-DD`` or None.
    """

    id: str
    title: str
    path: str
    text: str
    blocks: tuple[Span, ...]
    sections: tuple[tuple[int, int], ...]  # (first block index, last block index + 1)
    source: str | None = None
    date: str | None = None

    def cleaned_text(self) -> str:
        """The article without furniture, blocks separated by blank lines."""
        return "\n\n".join(self.text[b.start : b.end] for b in self.blocks)


@dataclass(frozen=True)
class Sentence:
    """One sentence of a chunk; ``id`` is stable across rebuilds."""

    id: str
    doc_id: str
    start: int
    end: int
    text: str


@dataclass(frozen=True)
class Chunk:
    """A sentence-aligned, token-budgeted window of one document."""

    id: str
    doc_id: str
    start: int
    end: int
    text: str
    n_tokens: int
    sentences: tuple[Sentence, ...]


@dataclass(frozen=True)
class SentenceHit:
    """A sentence of a passage with its match score against the query."""

    text: str
    start: int
    end: int
    score: float


@dataclass(frozen=True)
class Passage:
    """One retrieval result: a chunk plus its document's metadata and scores."""

    doc_id: str
    title: str
    source: str | None
    date: str | None
    source_path: str
    chunk_id: str
    text: str
    start: int
    end: int
    score: float
    sentences: tuple[SentenceHit, ...] = field(default_factory=tuple)  # every sentence, best match first

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Citation:
    """A numbered source of an answer: one sentence, checked before display."""

    n: int
    doc_id: str
    title: str
    source: str | None
    date: str | None
    source_path: str
    text: str
    start: int
    end: int


@dataclass(frozen=True)
class Version:
    """One source's version of a disputed fact."""

    value: str
    citation: int  # the Citation.n that states it
    doc_id: str
    source: str | None
    date: str | None


@dataclass(frozen=True)
class Disagreement:
    """Sources that give different values for what looks like the same fact."""

    about: str  # e.g. "date the Russian delegation arrived in Ankara"
    versions: tuple[Version, ...]


@dataclass(frozen=True)
class Answer:
    """What ``Assistant.ask`` returns.

    ``text`` carries inline markers [1], [2] that index ``citations`` (1-based);
    ``short_answer`` is None when ``refused``; ``passages`` are what retrieval
    returned for ``query`` (shown as "related" on a refusal); ``answered_by``
    names the answerer, and ``note`` says when a fallback answered. ``scope``
    says which filters narrowed the search ("Searched 1 of 5 articles: ..."),
    and ``clarify`` is the pronoun ("he") when the reply asks whom it means.
    """

    text: str
    short_answer: str | None
    refused: bool
    citations: tuple[Citation, ...]
    query: str
    passages: tuple[Passage, ...]
    disagreements: tuple[Disagreement, ...] = ()
    answered_by: str = ""      # the answerer that proposed it: "llm:...", "rules"
    note: str | None = None    # for the user: why the rule reader stood in for the model, say
    scope: str | None = None   # the active filters and how many articles they left; None without filters
    clarify: str | None = None  # a pronoun nothing refers to: the reply asks whom it means instead of answering

    def to_dict(self) -> dict:
        d = asdict(self)
        d["passages"] = [{k: p[k] for k in ("doc_id", "chunk_id", "text", "start", "end", "score")}
                         for p in d["passages"]]
        return d
