"""The assistant: a question (and earlier turns) in, a short cited answer out.

    question -> follow-up resolution -> answer type -> retrieval -> sentence evidence
             -> short answer -> claims quoting the evidence -> verification -> Answer

No language model: every claim is a verbatim clause of an article sentence
or a short template whose facts come from the sentences it cites, and each
claim is checked before it is shown. When nothing survives the checks, or
the best evidence scores below a threshold calibrated on eval/dev.jsonl
(``eval/calibrate.py``), the answer is "The articles don't say."

Example:
    >>> a = Assistant.open("seeds")                          # doctest: +SKIP
    >>> a.ask("How many Turkish troops died?").short_answer   # doctest: +SKIP
    '33'
"""
from __future__ import annotations

import threading
from pathlib import Path

from .compose import TEMPLATE_WORDS, Claim, clause, compose, refusal, source_name
from .conflicts import alternatives
from ..embed import SentenceTransformerEmbedder
from ..engine import open_index
from ..errors import CorpusError
from .evidence import EvidenceScorer
from .followup import resolve
from ..nlp import parse
from .qtype import AnswerType, detect, looks_english
from ..query import clean_query
from .reader import Pick, read, read_yes_no
from ..retriever import Retriever
from .terms import WordSimilarity, question_terms
from ..types import Answer, Disagreement, Version
from .verify import bad_markers, unsupported

# Calibrated on eval/dev.jsonl by eval/calibrate.py (predicate_penalty 0.25, shrinking with the dense
# cosine between 0.6 and 0.8: see reader.penalty); never tuned on gold.
THRESHOLD = 0.4229


class Assistant:
    """Answers questions over one index. Settings here; the question goes to :meth:`ask`."""

    def __init__(self, retriever: Retriever, *, k: int = 8, threshold: float = THRESHOLD, dense_weight: float = 0.5,
                 soft_min: float = 0.55, top: int = 6, margin: float = 0.08, predicate_penalty: float = 0.25,
                 corpus_dir: str | Path | None = None, index_dir: str | Path | None = None):
        if k < 1 or top < 1:
            raise ValueError(f"k and top must be at least 1; got k={k}, top={top}.")
        if not 0.0 <= soft_min <= 1.0:
            raise ValueError(f"soft_min is a cosine between 0 and 1; got {soft_min}.")
        self.k, self.threshold, self.dense_weight, self.soft_min = k, threshold, dense_weight, soft_min
        self.top, self.margin, self.predicate_penalty = top, margin, predicate_penalty
        self.corpus_dir, self.index_dir = corpus_dir, index_dir
        self.embedder = retriever.embedder
        self.words = WordSimilarity(self._embed)  # word vectors do not depend on the index: kept on refresh
        self._lock = threading.Lock()
        self._swap(retriever)

    @classmethod
    def open(cls, corpus_dir: str | Path = "seeds", *, index_dir: str | Path | None = None, model: str | None = None,
             embedder=None, **settings) -> "Assistant":
        """Open (building or updating as needed) the index of ``corpus_dir``."""
        embedder = embedder or SentenceTransformerEmbedder(model)
        index, _ = open_index(corpus_dir, embedder=embedder, index_dir=index_dir)
        return cls(Retriever(index, embedder), corpus_dir=corpus_dir, index_dir=index_dir, **settings)

    def refresh(self) -> str:
        """Re-open the index of the same folder (an incremental update after articles
        were added or changed) and swap it in; returns built/updated/loaded."""
        if self.corpus_dir is None:
            raise CorpusError("this assistant was built from a Retriever, so it does not know its articles folder; "
                              "create it with Assistant.open(corpus_dir) to be able to refresh it.")
        index, status = open_index(self.corpus_dir, embedder=self.embedder, index_dir=self.index_dir)
        self._swap(Retriever(index, self.embedder))
        return status

    def _swap(self, retriever: Retriever) -> None:
        scorer = EvidenceScorer(retriever.index, self.words, dense_weight=self.dense_weight, soft_min=self.soft_min)
        self._state = (retriever, scorer)  # one assignment: a concurrent ask sees the old or the new pair

    @property
    def retriever(self) -> Retriever:
        return self._state[0]

    def _embed(self, texts: list[str]):
        with self._lock:
            return self.embedder.embed(texts)

    # -- asking -------------------------------------------------------------
    def ask(self, question: str, history=None, **search) -> Answer:
        """Answer ``question``; ``history`` is earlier turns, oldest first, as
        ``{"question": ..., "answer": ...}`` dicts or ``(question, answer)`` pairs.
        ``search`` narrows retrieval: ``k``, ``doc_ids``, ``date_from``, ``date_to``
        (see :meth:`Retriever.search`). Raises QueryError for an empty or huge question."""
        return self.ask_traced(question, history, **search)[0]

    def ask_traced(self, question: str, history=None, *, k: int | None = None, doc_ids=None,
                   date_from: str | None = None, date_to: str | None = None) -> tuple[Answer, dict]:
        """:meth:`ask` plus the figures behind the decision (for calibration and debugging)."""
        query = clean_query(resolve(clean_query(question), history))
        retriever, scorer = self._state
        atype = detect(query)
        qterms = question_terms(query, scorer.vocab)
        qvec = self._embed([query])[0]
        passages = tuple(retriever.search(query, k=k or self.k, query_vector=qvec, doc_ids=doc_ids,
                                          date_from=date_from, date_to=date_to))
        evidence = scorer.rank(qterms, atype.attribute, qvec, list(passages))
        words = {w for w, _, _ in qterms.terms} | {s for _, s, _ in qterms.terms}
        words |= {part for w in list(words) for part in w.split("-") if len(part) >= 3}  # "Putin-Erdogan"
        if atype.kind == "yesno":
            picks = read_yes_no(evidence, query, self.predicate_penalty)
        else:
            picks = read(evidence, atype, qterms, words, top=self.top, predicate_penalty=self.predicate_penalty,
                         similarity=self.words, soft_min=self.soft_min)
        trace = {"query": query, "kind": atype.kind, "support": picks[0].support if picks else None,
                 "picks": [(p.value, p.score, p.support, p.evidence.doc_id, len(p.sources)) for p in picks[:5]],
                 "evidence": [(e.score, e.dense, e.coverage, e.names_ok, e.predicate_ok, e.attribute_ok, e.text)
                              for e in evidence[:5]]}
        if picks and picks[0].support >= self.threshold:
            answer = self._answer(query, picks, atype, passages)
            if answer is not None:
                return answer, trace
        return Answer(text=refusal(foreign=not looks_english(query, scorer.vocab.df), related=bool(passages)),
                      short_answer=None, refused=True, citations=(), query=query, passages=passages), trace

    def _answer(self, query: str, picks: list[Pick], atype: AnswerType, passages) -> Answer | None:
        """Claims for the best value, then for disputed and differently-counted values;
        each is verified, and the answer exists only if some claim survives."""
        best = picks[0]
        disputed, different = alternatives(best, picks, atype, threshold=self.threshold, margin=self.margin,
                                           similarity=self.words, soft_min=self.soft_min)
        lead = [c for c in self._lead(best, atype) if self._verified(c)]
        if not lead:  # the answer itself failed the check: nothing else may stand in for it
            return None
        others = [Claim(clause(parse(p.evidence.text), p.candidate.start, p.candidate.end), (p.evidence,))
                  for p in different]
        others += [Claim(f"Sources differ: {source_name(p.evidence)} gives {p.value}", p.sources, quote=False)
                   for p in disputed]
        claims = lead + [c for c in others if self._verified(c)]
        text, citations = compose(claims)
        if bad_markers(text, len(citations)):  # compose numbers them itself; never show a dangling marker
            return None
        number = {(c.doc_id, c.start): c.n for c in citations}
        disagreements = tuple(Disagreement(about=query.rstrip(" ?"), versions=tuple(
            Version(value=p.value, citation=number[(e.doc_id, e.start)], doc_id=e.doc_id, source=e.passage.source,
                    date=e.passage.date) for p in (best, other) for e in p.sources if (e.doc_id, e.start) in number))
            for other in disputed if any((e.doc_id, e.start) in number for e in other.sources))
        return Answer(text=text, short_answer=best.value, refused=False, citations=citations, query=query,
                      passages=passages, disagreements=disagreements)

    @staticmethod
    def _lead(best: Pick, atype: AnswerType) -> list[Claim]:
        """The answer stated first: its clause, cited by every article that states it."""
        if atype.kind == "yesno":
            return [Claim(best.value, (best.evidence,), quote=False), Claim(best.evidence.text, (best.evidence,))]
        text = clause(parse(best.evidence.text), best.candidate.start, best.candidate.end)
        if text.lower().startswith(best.value.lower()):
            return [Claim(text, best.sources)]
        return [Claim(best.value, best.sources), Claim(text, (best.evidence,))]

    @staticmethod
    def _verified(claim: Claim) -> bool:
        """Every number, date and name of the claim is in the sentences it cites
        (a quoted claim: every word); a template may name the cited outlet."""
        cited = [e.text for e in claim.cites]
        meta = [x for e in claim.cites for x in (e.passage.source or "", e.passage.title)]
        return not unsupported(claim.text, cited, metadata=meta if not claim.quote else (),
                               allowed=TEMPLATE_WORDS, strict_words=claim.quote)
