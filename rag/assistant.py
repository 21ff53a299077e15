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
from contextlib import contextmanager
from pathlib import Path

from .compose import Claim, clause, compose, refusal
from .conflicts import comparable, relation
from .embed import SentenceTransformerEmbedder
from .engine import open_index
from .errors import CorpusError
from .evidence import EvidenceScorer
from .followup import resolve
from .nlp import FUNCTION_WORDS, WORD_RE, parse, stem
from .qtype import AnswerType, detect
from .query import clean_query
from .reader import Pick, read, support, usable
from .retriever import Retriever
from .terms import WordSimilarity, question_terms
from .types import Answer, Disagreement, Version
from .verify import bad_markers, unsupported
from .compose import TEMPLATE_WORDS, source_name

# Calibrated on eval/dev.jsonl by eval/calibrate.py (see the report there); not tuned on gold.
THRESHOLD = 0.45
_NEGATIONS = {"not", "n't", "no", "never", "neither", "nor"}


@contextmanager
def _one_thread():
    """One query is one tiny matrix product: with torch's default two threads on
    a busy two-core machine it waits ~300 ms for a second core; alone it takes ~35 ms."""
    try:
        import torch
    except ImportError:  # a non-torch embedder
        yield
        return
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


class Assistant:
    """Answers questions over one index. Settings here; the question goes to :meth:`ask`."""

    def __init__(self, retriever: Retriever, *, k: int = 8, threshold: float = THRESHOLD, dense_weight: float = 0.5,
                 soft_min: float = 0.55, top: int = 6, margin: float = 0.08, predicate_penalty: float = 0.15,
                 corpus_dir: str | Path | None = None,
                 index_dir: str | Path | None = None):
        if k < 1 or top < 1:
            raise ValueError(f"k and top must be at least 1; got k={k}, top={top}.")
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
                              "create it with Assistant.open(corpus_dir) or pass corpus_dir=... to refresh it.")
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
        with self._lock, _one_thread():
            return self.embedder.embed(texts)

    # -- asking -------------------------------------------------------------
    def ask(self, question: str, history=None, **search) -> Answer:
        """Answer ``question``; ``history`` is earlier turns, oldest first, as
        ``{"question": ..., "answer": ...}`` dicts or ``(question, answer)`` pairs.
        ``search`` narrows retrieval: ``k``, ``doc_ids``, ``date_from``, ``date_to``
        (see :meth:`Retriever.search`)."""
        return self.ask_traced(question, history, **search)[0]

    def ask_traced(self, question: str, history=None, *, k: int | None = None, doc_ids=None,
                   date_from: str | None = None, date_to: str | None = None) -> tuple[Answer, dict]:
        """:meth:`ask` plus the figures behind the decision (for calibration)."""
        text = clean_query(question)
        query = clean_query(resolve(text, history))
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
            picks = self._yes_no(evidence, query)
        else:
            picks = read(evidence, atype, qterms, words, top=self.top, predicate_penalty=self.predicate_penalty,
                         similarity=self.words, soft_min=self.soft_min)
        trace = {"query": query, "kind": atype.kind, "support": picks[0].support if picks else None,
                 "picks": [(p.value, p.score, p.support, p.evidence.doc_id, len(p.sources)) for p in picks[:5]],
                 "evidence": [(e.score, e.dense, e.coverage, e.names_ok, e.predicate_ok, e.attribute_ok, e.text)
                              for e in evidence[:5]]}
        foreign = not self._english(query, scorer)
        if not picks or picks[0].support < self.threshold:
            return self._refuse(query, passages, foreign), trace
        best = picks[0]
        claims = [c for c in self._claims(best, atype) if self._verified(c)]
        extra, disputed = self._others(best, picks, atype)
        claims += [c for c in extra if self._verified(c)]
        if not claims:
            return self._refuse(query, passages, foreign), trace
        answer_text, citations = compose(claims)
        assert not bad_markers(answer_text, len(citations)), answer_text  # compose numbers them; a bug otherwise
        number = {(c.doc_id, c.start): c.n for c in citations}
        disagreements = tuple(
            Disagreement(about=query.rstrip(" ?"), versions=tuple(
                Version(value=p.value, citation=number[(e.doc_id, e.start)], doc_id=e.doc_id, source=e.passage.source,
                        date=e.passage.date) for p in pair for e in p.sources if (e.doc_id, e.start) in number))
            for pair in disputed)
        return Answer(text=answer_text, short_answer=best.value, refused=False, citations=citations, query=query,
                      passages=passages, disagreements=disagreements), trace

    def _refuse(self, query: str, passages, foreign: bool) -> Answer:
        return Answer(text=refusal(foreign=foreign, related=bool(passages)), short_answer=None, refused=True,
                      citations=(), query=query, passages=passages)

    def _claims(self, best: Pick, atype: AnswerType) -> list[Claim]:
        """The answer stated first: its clause, cited by every article that states it."""
        if atype.kind == "yesno":
            return [Claim(best.value, (best.evidence,), quote=False),
                    Claim(best.evidence.text, (best.evidence,))]
        doc = parse(best.evidence.text)
        text = clause(doc, best.candidate.start, best.candidate.end)
        if text.lower().startswith(best.value.lower()):
            return [Claim(text, best.sources)]
        return [Claim(best.value, best.sources), Claim(text, (best.evidence,))]

    def _others(self, best: Pick, picks: list[Pick], atype: AnswerType):
        """Other values close behind the best: disagreements between articles, or
        different things counted (each shown with what it counts)."""
        claims, disputed = [], []
        best_docs = {e.doc_id for e in best.sources}
        span = lambda p: (p.candidate.start, p.candidate.end)
        if not atype.typed:  # free-text spans of two sentences rarely fill the same slot
            return claims, disputed
        extra = False
        for p in picks[1:5]:
            if p.support < self.threshold or not comparable(best.key, p.key):
                continue
            same_doc = p.evidence.doc_id in best_docs
            rel = relation(best.evidence.text, span(best), p.evidence.text, span(p), same_doc=same_doc,
                           similarity=self.words, soft_min=self.soft_min)
            # A disagreement is worth showing even when its value ranks well below; a second figure is not.
            same_kind = p.candidate.label == best.candidate.label or {p.candidate.label, best.candidate.label} \
                <= set(atype.labels) | {"PATTERN"}
            if rel == "conflict" and same_kind and p.score >= best.score - 5 * self.margin \
                    and not any(e.doc_id in best_docs for e in p.sources):
                claims.append(Claim(f"Sources differ: {source_name(p.evidence)} gives {p.value}", p.sources,
                                    quote=False))
                disputed.append((best, p))
            elif rel == "different" and p.score >= best.score - self.margin and not extra \
                    and atype.kind in ("number", "date", "money", "quantity", "percent"):
                claims.append(Claim(clause(parse(p.evidence.text), *span(p)), (p.evidence,)))
                extra = True
        return claims, disputed

    def _verified(self, claim: Claim) -> bool:
        cited = [e.text for e in claim.cites]
        meta = [x for e in claim.cites for x in (e.passage.source or "", e.passage.title)]
        return not unsupported(claim.text, cited, metadata=meta if not claim.quote else (),
                               allowed=TEMPLATE_WORDS, strict_words=claim.quote)

    def _yes_no(self, evidence, query: str) -> list[Pick]:
        """Yes when the best usable sentence states the whole question, no when it
        states it with the opposite polarity; nothing (a refusal) otherwise."""
        ev = next((e for e in evidence if usable(e)), None)
        if ev is None or ev.coverage < 0.75:
            return []
        neg = lambda text: sum(t.lower_ in _NEGATIONS for t in parse(text)) % 2
        value = "Yes" if neg(query) == neg(ev.text) else "No"
        from .spans import Candidate

        return [Pick(value, value.lower(), ev, Candidate(value, 0, len(ev.text), "YESNO", 0.0), ev.score,
                     support(ev, self.predicate_penalty), (ev,))]

    @staticmethod
    def _english(query: str, scorer: EvidenceScorer) -> bool:
        letters = [c for c in query if c.isalpha()]
        if letters and sum(not c.isascii() for c in letters) > 0.3 * len(letters):
            return False
        words = [m.group().lower() for m in WORD_RE.finditer(query)]
        if len(words) < 3 or any(w in FUNCTION_WORDS for w in words):
            return True
        return sum(stem(w) in scorer.vocab.df for w in words) >= len(words) / 2
