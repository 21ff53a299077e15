"""The assistant: a question (and earlier turns) in, a short cited answer out.

    question -> follow-up resolution -> answer type -> retrieval -> sentence evidence
             -> answerer proposes (a local model by default; the rule reader as fallback)
             -> grounding: the proposal verbatim in a sentence, exact offsets, type check
             -> refusal checks -> claims quoting the evidence -> verification -> Answer

The answerer only proposes (:mod:`rag.answer.draft`); grounding the proposal and
composing the verified claims are the steps in :mod:`rag.answer.pipeline`. A proposal that is
not found verbatim in a retrieved sentence, or is of the wrong type, is
retried once with a stricter prompt, then refused; a grounded answer whose
sentence supports the question less than a threshold calibrated on
eval/dev.jsonl (``eval/calibrate.py``) is refused too. Every claim shown is
a verbatim clause of an article sentence or a short template whose facts
come from the sentences it cites, checked before it is shown. Other
articles that state the same value are cited as well; different values for
the same fact are reported as a disagreement.

Example:
    >>> a = Assistant.open("seeds")                          # doctest: +SKIP
    >>> a.ask("How many Turkish soldiers died?").short_answer   # doctest: +SKIP
    '33'
"""
from __future__ import annotations

import threading
from dataclasses import replace
from pathlib import Path

from rag.embedding.sentence_embedder import SentenceTransformerEmbedder
from rag.index.chunk_index import DocRecord
from rag.index.open_index import open_index
from rag.errors import AnswererError, CorpusError
from rag.text.language import parse_many
from rag.retrieval.query import clean_query
from rag.retrieval.retriever import Retriever
from rag.records import Answer
from rag.answer.backends import fallback_note, make_answerer
from rag.answer.model_files import models_dir
from rag.answer.compose import refusal
from rag.answer.evidence import EvidenceScorer
from rag.answer.followup import dangling, resolve
from rag.answer.pipeline import choose, compose_answer, read
from rag.answer.qtype import looks_english
from rag.answer.rewrite import LLMRewriter
from rag.answer.rules import RuleAnswerer
from rag.answer.scope import scope_of
from rag.answer.streaming import stream
from rag.answer.terms import WordSimilarity

# Calibrated on eval/dev.jsonl by eval/calibrate.py (predicate_penalty 0.25, shrinking with the dense
# cosine between 0.6 and 0.8: see reader.penalty); never tuned on gold.
THRESHOLD = 0.4229
# The same calibration for answers proposed by the default language model (eval/calibrate.py --answerer llm,
# 1.5b reading 5 sentences: dev 26/35 answered correctly, 12/14 refused; 0.30 gave 25/35 and 12/14). On 100
# SQuAD v2 questions it was never tuned on, it decides as many right as 0.30 (48 of 100). Re-run with the int8
# default vectors (2026-12-03), calibrate.py picks 0.1281 (dev 29/35 right against 27/35, 12/14 refused both);
# read from the eval journals, that level moves the sets never tuned on in opposite directions (SQuAD v2.0, 2,000
# questions: F1 0.589 -> 0.579, refusal F1 0.619 -> 0.597, 43 fewer unanswerable questions refused for 21 more
# right answers; XQuAD (100): 4 more right), so 0.2683 stays: a wrong answer costs more than a refusal.
LLM_THRESHOLD = 0.2683


def _warm_in_background(answerer) -> None:
    """Start loading ``answerer``'s model on a thread of its own: a cold ``rag ask`` spends ~1 s opening
    the embedder and the index on one core, while llama.cpp's load and the system line's
    evaluation (~0.9 s for the 1.5b on 2 cores) can run beside it. A load that fails here fails again,
    with its message, on the first question (which then falls back to the rules, as without preload)."""
    warm = getattr(answerer, "warm_up", None)
    if warm is None:
        return

    def run():
        try:
            warm()
        except Exception:  # noqa: BLE001 - reported by the first question's own load
            pass

    # Not a daemon: a process that ends early (a corpus error, say) waits for the load to finish
    # rather than tearing llama.cpp down in the middle of a call.
    threading.Thread(target=run, name="rag-model-preload", daemon=False).start()


class Assistant:
    """Answers questions over one index. Settings here; the question goes to :meth:`ask`.

    ``answerer`` proposes answers (None: the rule reader); ``note`` is shown
    with every answer when the intended answerer could not be set up."""

    def __init__(self, retriever: Retriever, *, answerer=None, note: str | None = None, k: int = 8,
                 threshold: float = THRESHOLD, llm_threshold: float = LLM_THRESHOLD, dense_weight: float = 0.5,
                 soft_min: float = 0.55, top: int = 6, margin: float = 0.08, predicate_penalty: float = 0.25,
                 rewrite: str = "rules", long_answer: int = 10, corpus_dir: str | Path | None = None,
                 index_dir: str | Path | None = None, uploads_dir: str | Path | None = None, store: str = "faiss",
                 store_timeout: float | None = None):
        if k < 1 or top < 1:
            raise ValueError(f"k and top must be at least 1; got k={k}, top={top}.")
        if not 0.0 <= soft_min <= 1.0:
            raise ValueError(f"soft_min is a cosine between 0 and 1; got {soft_min}.")
        self.k, self.threshold, self.dense_weight, self.soft_min = k, threshold, dense_weight, soft_min
        self.llm_threshold, self.long_answer = llm_threshold, long_answer
        self.top, self.margin, self.predicate_penalty = top, margin, predicate_penalty
        self.corpus_dir, self.index_dir, self.uploads_dir = corpus_dir, index_dir, uploads_dir
        self.store, self.store_timeout = store, store_timeout  # a refresh re-opens the same store
        self.embedder = retriever.embedder
        self.words = WordSimilarity(self._embed)  # word vectors do not depend on the index: kept on refresh
        self.rules = RuleAnswerer(similarity=self.words, top=top, predicate_penalty=predicate_penalty,
                                  soft_min=soft_min)
        self.answerer = answerer if answerer is not None else self.rules
        self.note = note
        if rewrite not in ("rules", "llm"):
            raise ValueError(f"rewrite is how follow-ups become standalone questions: 'rules' or 'llm'; got {rewrite!r}.")
        chat = getattr(self.answerer, "chat", None)
        self.rewriter = LLMRewriter(chat) if rewrite == "llm" and chat is not None else None
        self._lock = threading.Lock()
        self._swap(retriever)

    @classmethod
    def open(cls, corpus_dir: str | Path = "seeds", *, index_dir: str | Path | None = None, model: str | None = None,
             embed_backend: str = "auto", cache_dir: str | Path | None = None, embedder=None, answerer: str = "llm",
             llm_model: str | Path | None = None, llm_url: str | None = None, llm_name: str | None = None,
             llm_timeout: float = 30.0, llm_cache: str | Path | None = None, llm_threads: int | None = None,
             llm_confirm: float | str | None = None, uploads_dir: str | Path | None = None, store: str = "faiss",
             store_timeout: float | None = None, preload: bool = True,
             **settings) -> "Assistant":
        """Open (building or updating as needed) the index of ``corpus_dir`` (and of
        ``uploads_dir``, the user's added articles, when given) in ``store``: "faiss" (in the index
        folder) or a Milvus URI such as ``milvus-lite:/data/ix.db`` (:func:`rag.index.open_index.open_index`),
        each Milvus call given ``store_timeout`` seconds; :meth:`refresh` re-opens the same store.

        The embedding model is ``embedder``, else ``model`` (None: the bundled one) on
        ``embed_backend``. ``cache_dir`` (default ``~/.cache/rag``) holds the exported ONNX graph
        and, under ``models/``, the local language model unless ``llm_cache`` names another folder.
        ``answerer`` is "llm" (default: the bundled local model, ``llm_model``
        "0.5b", "1.5b" or a GGUF path; or the OpenAI-compatible server at
        ``llm_url``) or "rules"; an Answerer instance may be passed too. ``llm_confirm`` is the share
        of "yes" the model must give its own answer (:mod:`rag.answer.confirm`): a level, "off", or
        None for the model's calibrated one. ``preload``: the local model loads (and reads its system
        line) in a background thread while the index opens, instead of on the first question."""
        embedder = embedder or SentenceTransformerEmbedder(model, backend=embed_backend, cache_dir=cache_dir)
        if llm_cache is None and cache_dir is not None:
            llm_cache = models_dir(cache_dir)
        note = None
        if isinstance(answerer, str):
            answerer, note = make_answerer(answerer, llm_model=llm_model, llm_url=llm_url, llm_name=llm_name,
                                           llm_timeout=llm_timeout, llm_cache=llm_cache, n_threads=llm_threads,
                                           llm_confirm=llm_confirm)
            if preload:
                _warm_in_background(answerer)
        index, _ = open_index(corpus_dir, embedder=embedder, index_dir=index_dir, uploads_dir=uploads_dir,
                              store=store, store_timeout=store_timeout)
        return cls(Retriever(index, embedder), answerer=answerer, note=note, corpus_dir=corpus_dir,
                   index_dir=index_dir, uploads_dir=uploads_dir, store=store, store_timeout=store_timeout, **settings)

    def warm_up(self, *, sentences: int = 0) -> None:
        """Load the answering model now (seconds) instead of on the first question, and
        parse the first ``sentences`` indexed sentences so the language pipeline is loaded too.
        A model that cannot load leaves the rule reader answering, with a note."""
        if sentences:
            parse_many([s.text for s in self.retriever.index.sentences[:sentences]])
        warm = getattr(self.answerer, "warm_up", None)
        if warm is None:
            return
        try:
            warm()
        except AnswererError as exc:
            self.note = fallback_note(exc)
            self.answerer = self.rules

    # -- what is indexed: the public view for the UI and the CLI (they never reach into the index) --
    def documents(self) -> list[DocRecord]:
        """The indexed articles, corpus first, as :class:`~rag.index.chunk_index.DocRecord` rows."""
        return list(self.retriever.index.docs)

    def document(self, doc_id: str | None) -> DocRecord | None:
        """The indexed article ``doc_id``, or None when there is none (removed meanwhile, say)."""
        return self.retriever.index.doc_by_id.get(doc_id) if doc_id else None

    @property
    def warnings(self) -> tuple[str, ...]:
        """What the last build or update of the index skipped or doubted, one line each."""
        return tuple(self.retriever.index.stats.warnings)

    def scope(self, doc_ids=None, date_from: str | None = None, date_to: str | None = None) -> str | None:
        """The line an answer carries about these filters (None for none); unknown ids are dropped."""
        known = [d for d in (doc_ids or []) if self.document(d) is not None] or None
        return scope_of(self.retriever, self.retriever.index.docs, known, date_from, date_to)

    def refresh(self, report=None) -> str:
        """Re-open the index of the same folder (an incremental update after articles
        were added or changed) and swap it in; returns built/updated/loaded.
        ``report`` receives the build's progress steps (see :func:`rag.index.open_index.open_index`)."""
        if self.corpus_dir is None:
            raise CorpusError("this assistant was built from a Retriever, so it does not know its articles folder; "
                              "create it with Assistant.open(corpus_dir) to be able to refresh it.")
        index, status = open_index(self.corpus_dir, embedder=self.embedder, index_dir=self.index_dir,
                                   uploads_dir=self.uploads_dir, report=report, store=self.store,
                                   store_timeout=self.store_timeout)
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
        (see :meth:`Retriever.search`); the answer's ``scope`` then says what they left.
        Raises QueryError for an empty or huge question."""
        return self.ask_traced(question, history, **search)[0]

    def ask_traced(self, question: str, history=None, *, k: int | None = None, doc_ids=None,
                   date_from: str | None = None, date_to: str | None = None, on_token=None) -> tuple[Answer, dict]:
        """:meth:`ask` plus the figures behind the decision (for calibration and debugging).
        ``on_token`` receives the model's text as it is generated (streaming)."""
        answer, trace = self._ask_traced(question, history, k=k, doc_ids=doc_ids, date_from=date_from,
                                         date_to=date_to, on_token=on_token)
        return replace(answer, scope=scope_of(self.retriever, self.retriever.index.docs, doc_ids, date_from, date_to)), trace

    def _ask_traced(self, question: str, history, *, k, doc_ids, date_from, date_to, on_token):
        query = clean_query(self._standalone(clean_query(question), history))
        pronoun = dangling(query)
        if pronoun:  # "What did he say?" with no one to refer to: ask, do not guess
            text = (f"Whom do you mean by “{pronoun}”? Nothing earlier in this conversation says; "
                    "ask again with the name in the question.")
            return Answer(text=text, short_answer=None, refused=True, citations=(), query=query, passages=(),
                          answered_by="followup", clarify=pronoun), {"query": query, "reason": "dangling pronoun"}
        retriever, scorer = self._state
        q, passages, evidence, picks = read(retriever, scorer, self.rules, self._embed, query, asked=question,
                                            k=k or self.k, doc_ids=doc_ids, date_from=date_from, date_to=date_to)
        trace = {"query": query, "kind": q.atype.kind, "support": None, "backend": self.answerer.name, "draft": None,
                 "reason": None, "picks": [(p.value, p.score, p.support, p.evidence.doc_id, len(p.sources))
                                          for p in picks[:5]],
                 "evidence": [(e.score, e.dense, e.coverage, e.names_ok, e.predicate_ok, e.attribute_ok, e.text)
                              for e in evidence[:5]]}
        best, threshold, note = choose(self.answerer, self.rules, q, evidence, history, picks, trace, on_token,
                                       threshold=self.threshold, llm_threshold=self.llm_threshold, note=self.note,
                                       predicate_penalty=self.predicate_penalty, long_answer=self.long_answer)
        by = "rules" if trace["backend"] == "rules" else self.answerer.name
        if best is not None:
            trace["support"] = best.support
            if best.support >= threshold:
                others = [p for p in picks if p.key != best.key]
                answer = compose_answer(query, [best, *others], q.atype, passages, threshold=self.threshold,
                                        margin=self.margin, similarity=self.words, soft_min=self.soft_min)
                if answer is not None:
                    return replace(answer, answered_by=by, note=note), trace
                trace["reason"] = "a claim failed verification"
            else:
                trace["reason"] = f"support {best.support:.3f} below {threshold:.3f}"
        return Answer(text=refusal(foreign=not looks_english(query, scorer.vocab.df), related=bool(passages)),
                      short_answer=None, refused=True, citations=(), query=query, passages=passages,
                      answered_by=by, note=note), trace

    def _standalone(self, question: str, history) -> str:
        """The follow-up as a standalone question: the rules, or the model when asked to (rules on failure)."""
        if self.rewriter is not None and history:
            try:
                return self.rewriter.rewrite(question, history)
            except AnswererError:
                pass
        return resolve(question, history)

    def ask_stream(self, question: str, history=None, **search):
        """:meth:`ask` as a stream: the model's text as it comes (str pieces),
        then the verified :class:`Answer` (or the refusal) as the last item."""
        yield from stream(lambda on_token: self.ask_traced(question, history, on_token=on_token, **search)[0])
