"""Gold question sets: our JSONL format, SQuAD JSON, and seeded sampling.

JSONL, one question per line (unknown extra fields are kept in ``extra``)::

    {"id": "d25", "question": "When did NATO hold its meeting on the Idlib crisis?", "answers": ["Friday",
     "February 28"], "evidence": ["NATO held urgent talks on the crisis on Friday"], "answerable": true,
     "history": [], "kind": "multi_source"}

SQuAD (v1.1 or v2.0 JSON): every paragraph becomes one article file
``<Title>-<paragraph>.txt`` in a corpus folder, each question a
:class:`GoldItem` whose ``documents`` names its paragraph, ``answers`` and
``evidence`` are its distinct answer texts, and ``is_impossible`` makes it
unanswerable.

Example:
    >>> item = parse_item({"question": "Who?", "answers": ["Rollo"]}, where="x.jsonl:1")
    >>> item.id, item.answerable, item.evidence, item.kind
    ('x.jsonl:1', True, (), None)
"""
from __future__ import annotations

import json
import random
import re
from dataclasses import dataclass, field
from pathlib import Path

KNOWN_FIELDS = {"id", "question", "answers", "evidence", "answerable", "history", "kind", "documents"}


class GoldSetError(ValueError):
    """The gold file cannot be read; the message names the file, line and fix."""


@dataclass(frozen=True)
class GoldItem:
    """One gold question. ``documents`` (doc ids or file names), when given,
    restricts which articles count as evidence; None means any article."""

    id: str
    question: str
    answers: tuple[str, ...]
    evidence: tuple[str, ...] = ()
    answerable: bool = True
    history: tuple[dict, ...] = ()
    kind: str | None = None
    documents: tuple[str, ...] | None = None
    extra: dict = field(default_factory=dict, compare=False)


def _str_list(value, name: str, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise GoldSetError(f"{where}: {name} must be a list of strings; got {value!r}.")
    return tuple(v for v in value if v.strip())


def parse_item(obj, *, where: str) -> GoldItem:
    """Validate one JSON object; ``where`` ("file:line") names it in errors and is the default id."""
    if not isinstance(obj, dict):
        raise GoldSetError(f"{where}: expected a JSON object per line; got {type(obj).__name__}.")
    question = obj.get("question")
    if not isinstance(question, str) or not question.strip():
        raise GoldSetError(f"{where}: missing or empty \"question\"; every line needs the question text.")
    answers = _str_list(obj.get("answers"), "answers", where)
    answerable = obj.get("answerable", bool(answers))
    if not isinstance(answerable, bool):
        raise GoldSetError(f"{where}: answerable must be true or false; got {answerable!r}.")
    if answerable and not answers:
        raise GoldSetError(f"{where}: answerable question without answers; add \"answers\" or set "
                           "\"answerable\": false.")
    history = obj.get("history") or []
    if not isinstance(history, list) or not all(
            isinstance(t, dict) and isinstance(t.get("question"), str) and isinstance(t.get("answer"), str)
            for t in history):
        raise GoldSetError(f"{where}: history must be a list of {{\"question\", \"answer\"}} objects; got {history!r}.")
    documents = obj.get("documents")
    return GoldItem(
        id=str(obj.get("id") or where), question=question, answers=answers,
        evidence=_str_list(obj.get("evidence"), "evidence", where), answerable=answerable,
        history=tuple({"question": t["question"], "answer": t["answer"]} for t in history),
        kind=str(obj["kind"]) if obj.get("kind") else None,
        documents=_str_list(documents, "documents", where) if documents is not None else None,
        extra={k: v for k, v in obj.items() if k not in KNOWN_FIELDS})


def load_jsonl(path: str | Path) -> list[GoldItem]:
    """Read a gold JSONL file; blank lines are skipped, ids must be unique."""
    path = Path(path)
    items, seen = [], set()
    for lineno, line in enumerate(_read(path).splitlines(), 1):
        if not line.strip():
            continue
        where = f"{path.name}:{lineno}"
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            raise GoldSetError(f"{where}: not valid JSON ({exc.msg} at column {exc.colno}); "
                               "write one JSON object per line.") from None
        item = parse_item(obj, where=where)
        if item.id in seen:
            raise GoldSetError(f"{where}: duplicate id {item.id!r}; give every question its own id.")
        seen.add(item.id)
        items.append(item)
    if not items:
        raise GoldSetError(f"{path}: no questions found; add one JSON object per line.")
    return items


def _read(path: Path) -> str:
    if not path.is_file():
        raise GoldSetError(f"gold file {str(path)!r} does not exist; pass --gold FILE (JSONL or SQuAD JSON).")
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise GoldSetError(f"{path}: not UTF-8 text (byte {exc.start}); save the gold file as UTF-8.") from None


def detect_format(path: str | Path) -> str:
    """"squad" for a JSON document with a ``data`` list of articles, else "jsonl"."""
    text = _read(Path(path)).lstrip()
    if text.startswith("{") and '"data"' in text[:4096]:
        try:
            doc = json.loads(text)
        except json.JSONDecodeError:
            return "jsonl"  # several objects, one per line
        data = doc.get("data") if isinstance(doc, dict) else None
        if isinstance(data, list) and data and isinstance(data[0], dict) and "paragraphs" in data[0]:
            return "squad"
    return "jsonl"


@dataclass(frozen=True)
class Paragraph:
    """One SQuAD context, to be written as the article ``file_name``."""

    file_name: str
    title: str
    text: str

    @property
    def doc_id(self) -> str:
        return Path(self.file_name).stem


def slug(title: str) -> str:
    """A safe file-name stem for an article title.

    >>> slug("Fresno,_California"), slug("Sky_(United_Kingdom)")
    ('Fresno_California', 'Sky_United_Kingdom')
    """
    return re.sub(r"_+", "_", re.sub(r"[^A-Za-z0-9_-]+", "_", title)).strip("_-") or "article"


def load_squad(path: str | Path) -> tuple[list[Paragraph], list[GoldItem]]:
    """Paragraphs (the corpus) and questions of a SQuAD file, in file order."""
    path = Path(path)
    text = _read(path)
    try:
        return _parse_squad(json.loads(text)["data"])
    except (json.JSONDecodeError, KeyError, TypeError, AttributeError) as exc:
        raise GoldSetError(f"{path}: not a SQuAD file ({type(exc).__name__}: {exc}); expected "
                           "{\"data\": [{\"title\", \"paragraphs\": [{\"context\", \"qas\"}]}]}.") from None


def _parse_squad(articles: list) -> tuple[list[Paragraph], list[GoldItem]]:
    paragraphs, items, stems = [], [], set()
    for a, article in enumerate(articles):
        title = str(article.get("title") or f"article {a}")
        stem = slug(title) if slug(title) not in stems else f"{slug(title)}-{a}"  # "A,B" and "A_B" stay apart
        stems.add(stem)
        for p, para in enumerate(article.get("paragraphs", [])):
            name = f"{stem}-{p:03d}.txt"
            paragraph = Paragraph(name, f"{title.replace('_', ' ')} (paragraph {p})", para["context"])
            paragraphs.append(paragraph)
            for q in para.get("qas", []):
                texts = list(dict.fromkeys(ans["text"] for ans in q.get("answers", []) if ans.get("text", "").strip()))
                impossible = bool(q.get("is_impossible", not texts))
                items.append(GoldItem(
                    id=str(q["id"]), question=q["question"], answers=() if impossible else tuple(texts),
                    evidence=() if impossible else tuple(texts), answerable=not impossible,
                    kind="unanswerable" if impossible else "answerable", documents=(paragraph.doc_id,)))
    if not items:
        raise KeyError("qas (no questions found)")
    return paragraphs, items


def write_corpus(paragraphs: list[Paragraph], folder: str | Path) -> Path:
    """Write each paragraph as a UTF-8 article plus a metadata.json of titles.

    Files whose content is already right are left alone, so an index built
    by an earlier run stays valid and is only loaded.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    meta = {p.file_name: {"title": p.title, "source": "Wikipedia (SQuAD)"} for p in paragraphs}
    files = [(folder / p.file_name, p.text) for p in paragraphs]
    files.append((folder / "metadata.json", json.dumps(meta, ensure_ascii=False, indent=1)))
    for file, text in files:
        if not file.exists() or file.read_text(encoding="utf-8") != text:
            with open(file, "w", encoding="utf-8", newline="") as f:  # newline="": offsets match the context
                f.write(text)
    return folder


def sample(items: list[GoldItem], limit: int | None, seed: int, *, balanced: bool = False) -> list[GoldItem]:
    """``limit`` questions drawn with ``random.Random(seed)``, kept in file order.

    ``balanced`` draws half answerable and half unanswerable (the odd one
    answerable); a side with too few questions gives all it has and the other
    side fills the rest (XQuAD has no unanswerable questions: ``limit`` answerable).

    >>> items = [GoldItem(str(i), "q", ("a",) if i % 3 else (), answerable=bool(i % 3)) for i in range(30)]
    >>> picked = sample(items, 10, seed=13, balanced=True)
    >>> len(picked), sum(not i.answerable for i in picked), picked == sample(items, 10, seed=13, balanced=True)
    (10, 5, True)
    >>> len(sample([i for i in items if i.answerable], 10, seed=13, balanced=True))
    10
    """
    if limit is None:
        return list(items)
    if limit < 1:
        raise GoldSetError(f"--limit must be at least 1; got {limit}.")
    rng = random.Random(seed)
    if balanced:
        yes = [i for i, item in enumerate(items) if item.answerable]
        no = [i for i, item in enumerate(items) if not item.answerable]
        n_no = min(len(no), limit // 2)
        n_yes = min(len(yes), limit - n_no)
        n_no = min(len(no), limit - n_yes)  # too few answerable: the unanswerable side fills up
        chosen = rng.sample(yes, n_yes) + rng.sample(no, n_no)
    else:
        chosen = rng.sample(range(len(items)), min(limit, len(items)))
    return [items[i] for i in sorted(chosen)]


def load(path: str | Path, *, fmt: str = "auto") -> tuple[list[GoldItem], list[Paragraph] | None]:
    """Questions and, for SQuAD, the paragraphs that make up its corpus."""
    if fmt not in ("auto", "jsonl", "squad"):
        raise GoldSetError(f"format must be auto, jsonl or squad; got {fmt!r}.")
    fmt = detect_format(path) if fmt == "auto" else fmt
    if fmt == "squad":
        paragraphs, items = load_squad(path)
        return items, paragraphs
    return load_jsonl(path), None
