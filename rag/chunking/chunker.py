"""Sentence-aware chunking with a token budget and sentence overlap.

Sentences are packed greedily into a chunk until the next one would pass
``max_tokens`` (cl100k_base tokens); the next chunk starts with the last
sentences of the previous one, up to ``overlap_tokens``. Chunks stay inside
one section, so a chunk's text is one contiguous slice of the file with no
furniture in it. A single sentence longer than the budget is cut at word
boundaries.

Example (budget of 12 tokens, overlap of 5):
    sentences A(5) B(5) C(5)  ->  chunks [A B] [B C]
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from rag.chunking.sentences import split_sentences
from rag.chunking.tokens import count_tokens, count_tokens_batch
from rag.records import Chunk, Document, Sentence, Span


def stable_id(doc_id: str, start: int, end: int, text: str) -> str:
    """16 hex digits of SHA-1 over document, position and content.

    The same text at the same place gets the same id on every rebuild; an
    edit anywhere before it shifts the offsets and so changes the id.
    """
    key = f"{doc_id}\x00{start}\x00{end}\x00{text}".encode("utf-8", "surrogatepass")
    return hashlib.sha1(key).hexdigest()[:16]


@dataclass(frozen=True)
class Chunker:
    """Settings for chunking; ``run`` turns a Document into Chunks."""

    max_tokens: int = 200
    overlap_tokens: int = 40

    def __post_init__(self):
        if self.max_tokens < 8:
            raise ValueError(f"max_tokens must be at least 8; got {self.max_tokens}.")
        if not 0 <= self.overlap_tokens < self.max_tokens:
            raise ValueError(f"overlap_tokens must be >= 0 and smaller than max_tokens ({self.max_tokens}); "
                             f"got {self.overlap_tokens}.")

    def settings(self) -> dict:
        return {"max_tokens": self.max_tokens, "overlap_tokens": self.overlap_tokens,
                "tokenizer": "cl100k_base", "splitter": "spacy-senter-v1"}

    def run(self, doc: Document) -> list[Chunk]:
        per_block = split_sentences(doc.text, list(doc.blocks))
        chunks: list[Chunk] = []
        for first, last in doc.sections:
            spans = [s for block in per_block[first:last] for s in block]
            sizes = count_tokens_batch([doc.text[s.start : s.end] for s in spans])
            fitted: list[tuple[Span, int]] = []
            for span, size in zip(spans, sizes):
                # Each sentence is counted once; only a sentence over budget is cut and recounted.
                fitted.extend([(span, size)] if size <= self.max_tokens else
                              [(piece, count_tokens(doc.text[piece.start : piece.end]))
                               for piece in self._fit(doc.text, span)])
            chunks.extend(self._pack(doc, fitted))
        return chunks

    def _fit(self, text: str, span: Span) -> list[Span]:
        """Cut an over-budget sentence into word-aligned pieces within budget."""
        pieces, start, end = [], span.start, span.start
        for word in re.finditer(r"\S+", text[span.start : span.end]):
            w_end = span.start + word.end()
            if end > start and count_tokens(text[start:w_end]) > self.max_tokens:
                pieces.append(Span(start, end))
                start = span.start + word.start()
            end = w_end
        pieces.append(Span(start, end))
        return pieces

    def _pack(self, doc: Document, fitted: list[tuple[Span, int]]) -> list[Chunk]:
        """Greedy packing of (sentence, token count) pairs into overlapping chunks."""
        spans = [span for span, _ in fitted]
        sizes = [size for _, size in fitted]
        chunks, i = [], 0
        while i < len(spans):
            j, total = i, 0
            while j < len(spans) and (j == i or total + sizes[j] <= self.max_tokens):
                total += sizes[j]
                j += 1
            chunks.append(self._make(doc, spans[i:j], total))
            if j == len(spans):
                break
            # Step back over trailing sentences that fit in the overlap, but
            # always move forward by at least one sentence.
            k, back = j, 0
            while k - 1 > i and back + sizes[k - 1] <= self.overlap_tokens:
                back += sizes[k - 1]
                k -= 1
            i = k
        return chunks

    def _make(self, doc: Document, spans: list[Span], n_tokens: int) -> Chunk:
        start, end = spans[0].start, spans[-1].end
        text = doc.text[start:end]
        sentences = tuple(
            Sentence(id=stable_id(doc.id, s.start, s.end, doc.text[s.start : s.end]), doc_id=doc.id,
                     start=s.start, end=s.end, text=doc.text[s.start : s.end])
            for s in spans)
        return Chunk(id=stable_id(doc.id, start, end, text), doc_id=doc.id, start=start, end=end,
                     text=text, n_tokens=n_tokens, sentences=sentences)
