"""Answering: follow-ups, sentence evidence, interchangeable answerers, verification, composition.

    question -> follow-up resolution -> retrieval -> sentence evidence -> Answerer -> Draft
             -> grounding (verbatim span, exact offsets) -> refusal checks -> claims -> verification -> Answer

``Assistant`` owns everything but the middle step; an :class:`~rag.answer.draft.Answerer`
(a local language model, an OpenAI-compatible endpoint, or the rule reader) only proposes.
"""
