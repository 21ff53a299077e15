"""The steps of one answer: reading the retrieved passages, the proposal grounded (and shortened),
then the claims composed, each verified against the sentences it cites.

:class:`~rag.answer.assistant.Assistant` holds the settings and runs these in order:

    read(...)           the question's type and terms, passages retrieved, sentences ranked, rule picks
    choose(...)         the rule reader's pick, or the model's proposal (the rules stand in on failure)
      -> propose(...)   the model's answer, found verbatim in a retrieved sentence, of the right type
        -> shorten(...) a sentence-long proposal asked for once more, shorter, inside the same span
    compose_answer(...) the lead claim, then disputed and differently counted values, each verified

Example (the claim check, on a sentence of its own):
    >>> from types import SimpleNamespace as NS
    >>> e = NS(text="33 Turkish soldiers were killed in Idlib.", passage=NS(source="Reuters", title="Idlib"))
    >>> verified(Claim("33 Turkish soldiers were killed", (e,))), verified(Claim("34 soldiers were killed", (e,)))
    (True, False)
"""
from __future__ import annotations

from rag.answer.backends import fallback_note
from rag.answer.accept import echoes, proposal_pick, type_agrees, yes_no_pick
from rag.answer.compose import TEMPLATE_WORDS, Claim, clause, compose, source_name
from rag.answer.conflicts import alternatives
from rag.answer.draft import Question
from rag.answer.qtype import AnswerType, detect
from rag.answer.reader import Pick, usable
from rag.answer.terms import question_terms
from rag.answer.verify import bad_markers, unsupported
from rag.errors import AnswererError
from rag.records import Answer, Disagreement, Version
from rag.text.language import parse


def read(retriever, scorer, rules, embed, query: str, *, asked: str, k: int, doc_ids=None, date_from=None,
         date_to=None):
    """Retrieval and reading: ``(question, passages, evidence, picks)``: the question as understood
    (answer type, terms), the ``k`` passages retrieved, their sentences ranked as evidence by ``scorer``,
    and the rule reader's candidate answers, best first. ``embed`` embeds the query once for both."""
    atype = detect(query)
    qterms = question_terms(query, scorer.vocab)
    qvec = embed([query])[0]
    passages = tuple(retriever.search(query, k=k, query_vector=qvec, doc_ids=doc_ids, date_from=date_from,
                                      date_to=date_to))
    evidence = scorer.rank(qterms, atype.attribute, qvec, list(passages))
    words = {w for w, _, _ in qterms.terms} | {s for _, s, _ in qterms.terms}
    words |= {part for w in list(words) for part in w.split("-") if len(part) >= 3}  # "Putin-Erdogan"
    q = Question(query, atype, qterms, frozenset(words), asked=asked)
    return q, passages, evidence, rules.picks(q, evidence)


def choose(answerer, rules, q: Question, evidence, history, picks: list[Pick], trace: dict, on_token, *,
           threshold: float, llm_threshold: float, note: str | None, predicate_penalty: float, long_answer: int):
    """``(best, threshold, note)``: the best grounded pick or None, the support it must reach, the
    note to show. The rule reader's pick (``answerer is rules``), or the model's :func:`propose`-d
    answer; when the model fails, the rules stand in and the note says so."""
    if answerer is rules:
        best = picks[0] if picks else None
        if best is not None and q.atype.kind == "yesno":  # the same fact-by-fact check as a model's yes/no
            best = yes_no_pick(best.value, q, picks)
        trace["reason"] = None if best else "no candidate"
        return best, threshold, note
    try:
        best = propose(answerer, q, evidence, history, picks, trace, on_token, predicate_penalty=predicate_penalty,
                       long_answer=long_answer)
        return best, llm_threshold, note
    except AnswererError as exc:  # the model failed for this question: the rules stand in, and say so
        trace["backend"], trace["reason"] = "rules", f"fallback: {exc}"
        return (picks[0] if picks else None), threshold, fallback_note(exc, "This answer is from the rule reader.")


def propose(answerer, q: Question, evidence, history, picks: list[Pick], trace: dict, on_token, *,
            predicate_penalty: float, long_answer: int) -> Pick | None:
    """The model's grounded answer, retried once with a prompt that says what was wrong (not
    copied exactly, only the question's words, or not the date, number or name asked for);
    None to refuse.
    ``trace`` receives the model's raw text and, on a refusal, the reason."""
    retry = None  # the second attempt says what failed: not verbatim, an echo, or not the type asked for
    for attempt in (0, 1):
        draft = answerer.answer(q, evidence, history, retry=retry, on_token=None if attempt else on_token)
        trace["draft"] = draft.raw
        if draft.abstained:
            trace["reason"] = f"abstained: {draft.note}"
            return None
        if q.atype.kind == "yesno":
            best = yes_no_pick(draft.answer, q, picks)
            if best is None:
                trace["reason"] = "yes/no not borne out by the sentence"
                return None  # a retry cannot change what the sentence says
            return best
        best = proposal_pick(draft.answer, q, evidence, picks, predicate_penalty=predicate_penalty)
        if best is not None and type_agrees(best.value, q.atype.kind):
            if not usable(best.evidence):  # the model copied well, from a sentence about something else
                trace["reason"] = "its sentence does not name what the question names"
                return None
            if echoes(best.value, q.text):
                trace["reason"], retry = "the answer only repeats the question", "echo"
                continue
            best = shorten(answerer, q, evidence, history, picks, best, trace, predicate_penalty=predicate_penalty,
                           long_answer=long_answer)
            return confirmed(answerer, q, best, draft.rests_on, trace)
        trace["reason"] = "not found verbatim" if best is None else f"not a {q.atype.kind}"
        retry = "verbatim" if best is None else q.atype.kind
    return None


def confirmed(answerer, q: Question, best: Pick, read, trace: dict) -> Pick | None:
    """``best`` if the model, asked whether the sentences it ``read`` for the answer state it as
    the answer and whether they answer the question at all, says yes clearly enough
    (:meth:`rag.answer.llm.LLMAnswerer.confirms`); None to refuse."""
    check = getattr(answerer, "confirms", None)
    if check is None:
        return best
    try:
        shown, share, answers = check(q, best.value, [best.evidence.text], read)
    except AnswererError as exc:  # the answer stands as grounded; the trace says the check did not run
        trace["confirm"] = f"not run: {exc}"
        return best
    trace["confirm"], trace["answers"] = share, answers
    if not shown:
        trace["reason"] = (f"the model did not confirm it (yes share {share:.2f})" if answers is None else
                           f"the model doubted the context answers the question (yes shares {share:.2f} "
                           f"x {answers:.2f})")
        return None
    return best


def shorten(answerer, q: Question, evidence, history, picks: list[Pick], best: Pick, trace: dict, *,
            predicate_penalty: float, long_answer: int) -> Pick:
    """A proposal longer than ``long_answer`` words is asked for once more, shorter; the
    shorter one replaces it only if it is grounded inside the same span."""
    if len(best.value.split()) <= long_answer:
        return best
    draft = answerer.answer(q, evidence, history, shorter=True)
    if draft.abstained:
        return best
    short = proposal_pick(draft.answer, q, [best.evidence], picks, predicate_penalty=predicate_penalty)
    if short is None or not (best.candidate.start <= short.candidate.start < short.candidate.end
                             <= best.candidate.end) or echoes(short.value, q.text):
        return best
    trace["draft"] = f"{trace['draft']} -> {draft.raw}"
    return proposal_pick(short.value, q, evidence, picks, predicate_penalty=predicate_penalty) or short


def compose_answer(query: str, picks: list[Pick], atype: AnswerType, passages, *, threshold: float, margin: float,
                   similarity, soft_min: float) -> Answer | None:
    """Claims for the best value (``picks[0]``), then for disputed and differently-counted values;
    each is verified, and the answer exists only if some claim survives."""
    best = picks[0]
    disputed, different = alternatives(best, picks, atype, threshold=threshold, margin=margin,
                                       similarity=similarity, soft_min=soft_min)
    lead = [c for c in lead_claims(best, atype) if verified(c)]
    if not lead:  # the answer itself failed the check: nothing else may stand in for it
        return None
    others = [Claim(clause(parse(p.evidence.text), p.candidate.start, p.candidate.end), (p.evidence,))
              for p in different]
    others += [Claim(f"Sources differ: {source_name(p.evidence)} gives {p.value}", p.sources, quote=False)
               for p in disputed]
    claims = lead + [c for c in others if verified(c)]
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


def lead_claims(best: Pick, atype: AnswerType) -> list[Claim]:
    """The answer stated first: its clause, cited by every article that states it."""
    if atype.kind == "yesno":
        return [Claim(best.value, (best.evidence,), quote=False), Claim(best.evidence.text, (best.evidence,))]
    text = clause(parse(best.evidence.text), best.candidate.start, best.candidate.end)
    if text.lower().startswith(best.value.lower()):
        return [Claim(text, best.sources)]
    return [Claim(best.value, best.sources), Claim(text, (best.evidence,))]


def verified(claim: Claim) -> bool:
    """Every number, date and name of the claim is in the sentences it cites
    (a quoted claim: every word); a template may name the cited outlet."""
    cited = [e.text for e in claim.cites]
    meta = [x for e in claim.cites for x in (e.passage.source or "", e.passage.title)]
    return not unsupported(claim.text, cited, metadata=meta if not claim.quote else (),
                           allowed=TEMPLATE_WORDS, strict_words=claim.quote)
