"""The default answerer for real: the bundled language model over the bundled articles, a real index on disk.

Questions are the tests' own (or from eval/dev.jsonl), never from the gold set."""
import json
import shutil

import pytest

from rag.answer.assistant import Assistant
from rag.answer.ground import locate

from conftest import ROOT, SEEDS

pytestmark = [pytest.mark.integration, pytest.mark.slow]
TIMEOUT = 600  # seconds per model call: generous, so a loaded CI machine slows these tests but never fails them
MESSAGES_YES = [{"role": "user", "content": "Say yes."}]


@pytest.fixture(scope="module")
def small(tmp_path_factory, real_embedder):
    """The 0.5B model: the fastest real model, for the contract tests."""
    a = Assistant.open(SEEDS, index_dir=tmp_path_factory.mktemp("index"), embedder=real_embedder, llm_model="0.5b",
                       llm_timeout=TIMEOUT)
    a.warm_up()
    assert a.note is None, a.note
    return a


def check_offsets(answer):
    for c in answer.citations:
        text = (ROOT / c.source_path).read_text(encoding="utf-8", errors="replace")
        assert text[c.start:c.end] == c.text


def test_the_model_answers_with_an_exact_span_of_the_sentence_it_cites(small):
    answer = small.ask("How many Turkish soldiers were killed in the air strike?")
    assert not answer.refused and answer.answered_by.startswith("llm:")
    assert "33" in answer.short_answer
    assert locate(answer.short_answer, answer.citations[0].text) is not None
    assert answer.short_answer in answer.citations[0].text  # the span itself, as the article writes it
    check_offsets(answer)


def test_every_number_of_the_answer_is_in_the_sentences_it_cites(small):
    from rag.answer.verify import claim_markers, unsupported

    answer = small.ask("Which Russian fleet said it was sending warships toward Syria?")
    assert not answer.refused
    by_n = {c.n: c for c in answer.citations}
    for text, ns in claim_markers(answer.text):
        assert not unsupported(text, [by_n[n].text for n in ns], metadata=[by_n[n].title for n in ns])
    check_offsets(answer)


@pytest.mark.parametrize("question", ["What is the capital of Canada?",
                                      "How many tanks did Greece deploy?"])
def test_what_the_articles_do_not_say_is_refused(small, question):
    answer = small.ask(question)
    assert answer.refused and answer.citations == () and answer.short_answer is None


def test_a_yes_no_question_with_a_wrong_figure_is_never_answered_yes(small):
    answer = small.ask("Were 35 Turkish soldiers killed in the air strike?")
    assert answer.short_answer != "Yes"


def test_streaming_shows_model_text_before_the_verified_answer(small):
    items = list(small.ask_stream("Who is NATO's secretary-general?"))
    assert isinstance(items[-1], type(small.ask("Who is NATO's secretary-general?")))
    assert any(isinstance(i, str) and i.strip() for i in items[:-1])
    assert "Stoltenberg" in (items[-1].short_answer or "")


def test_the_default_model_loads_and_answers(tmp_path, real_embedder):
    a = Assistant.open(SEEDS, index_dir=tmp_path / "ix", embedder=real_embedder, llm_timeout=TIMEOUT)
    answer = a.ask("Who is the Kremlin spokesman?")
    assert a.note is None and "1.5b" in a.answerer.name
    assert answer.short_answer and "Peskov" in answer.short_answer
    check_offsets(answer)


def test_cli_ask_with_a_missing_model_file_falls_back_to_the_rules_and_says_why(tmp_path, real_embedder,
                                                                                 monkeypatch, capsys):
    import rag.answer.assistant
    from rag.cli import main

    monkeypatch.setattr(rag.answer.assistant, "SentenceTransformerEmbedder", lambda model=None, **settings: real_embedder)
    corpus = tmp_path / "seeds"
    shutil.copytree(SEEDS, corpus, ignore=shutil.ignore_patterns(".rag-index"))
    common = ["--corpus", str(corpus), "--index-dir", str(tmp_path / "ix")]
    missing = tmp_path / "nowhere.gguf"
    assert main(["ask", "How many Turkish soldiers died?", "--llm-model", str(missing), "--json", *common]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["answered_by"] == "rules" and str(missing) in d["note"] and "rule reader" in d["note"]
    assert main(["ask", "How many Turkish soldiers died?", "--llm-model", "0.5b", "--llm-timeout", str(TIMEOUT),
                 "--json", *common]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["answered_by"].startswith("llm:") and "33" in d["short_answer"] and d["note"] is None


def test_the_model_confirms_a_stated_answer_and_doubts_a_wrong_one():
    from rag.answer import confirm
    from rag.answer.llama_local import LlamaCppChat
    from rag.answer.model_files import resolve_model

    chat = LlamaCppChat(resolve_model("1.5b"))  # the model whose check is used (the 0.5b's is off: llm.NO_CHECK)
    sentence = ["The harbour authority said on Tuesday that 412 ships had docked in Rotterdam in March."]
    right = confirm.yes_share(chat, confirm.messages("How many ships docked in Rotterdam in March?", "412", sentence),
                              timeout=TIMEOUT)
    wrong = confirm.yes_share(chat, confirm.messages("Who runs the harbour authority?", "Rotterdam", sentence),
                              timeout=TIMEOUT)
    yes, no = chat.first_token_odds(confirm.messages("How many ships docked?", "412", sentence), confirm.YES,
                                    confirm.NO, timeout=TIMEOUT)
    assert 0.0 <= no < yes <= 1.0 and yes + no <= 1.0 + 1e-6  # probabilities of the first token, from its logits
    assert right > 0.5 and right > wrong


def test_the_model_says_the_context_answers_a_question_and_doubts_one_with_a_changed_detail():
    from rag.answer import confirm, llm
    from rag.answer.llama_local import LlamaCppChat
    from rag.answer.model_files import resolve_model

    chat = LlamaCppChat(resolve_model("1.5b"))
    sentence = ["The harbour authority said on Tuesday that 412 ships had docked in Rotterdam in March."]
    asked = {q: confirm.yes_share(chat, confirm.answers_messages(q, sentence, system=llm.SYSTEM), timeout=TIMEOUT)
             for q in ("How many ships docked in Rotterdam in March?", "How many ships left Rotterdam in March?")}
    stated, changed = asked.values()
    assert stated > 0.5 and stated > changed


def test_a_reply_does_not_depend_on_the_prompt_asked_before_it():
    from rag.answer import confirm, llm
    from rag.answer.llama_local import LlamaCppChat
    from rag.answer.model_files import resolve_model

    chat = LlamaCppChat(resolve_model("0.5b"))
    ships = llm.prompt.build(llm.SYSTEM, "How many ships docked?", ["412 ships docked in Rotterdam in March."])
    other = llm.prompt.build(llm.SYSTEM, "Who won the vote?", ["Smith won the vote in the city council."])
    alone = chat.first_token_odds(ships, confirm.YES, confirm.NO, timeout=TIMEOUT, reuse=False)
    chat.complete(other, max_tokens=3, timeout=TIMEOUT)  # leaves the shared system line in llama.cpp's cache
    after = chat.first_token_odds(ships, confirm.YES, confirm.NO, timeout=TIMEOUT, reuse=False)
    assert after == alone  # exactly: both from the system line's saved state (the other prompt's cache moved them)
    # a prompt that continues the previous one may keep its tokens: the check after an answer
    chat.complete(ships, max_tokens=3, timeout=TIMEOUT)
    check = confirm.messages("How many ships docked?", "412", ["412 ships docked in Rotterdam in March."],
                             system=llm.SYSTEM)
    kept = chat.first_token_odds(check, confirm.YES, confirm.NO, timeout=TIMEOUT)
    fresh = chat.first_token_odds(check, confirm.YES, confirm.NO, timeout=TIMEOUT, reuse=False)
    assert kept == pytest.approx(fresh, abs=0.05)


def test_the_weights_are_used_as_stored_unless_repacking_is_asked_for():
    """``repack`` reaches llama.cpp (llama-cpp-python's Llama() has no argument for it), for this load
    only: the next model loads with llama.cpp's own defaults again."""
    import llama_cpp.llama_cpp as capi

    from rag.answer.llama_local import LlamaCppChat
    from rag.answer.model_files import resolve_model

    plain, repacked = LlamaCppChat(resolve_model("0.5b")), LlamaCppChat(resolve_model("0.5b"), repack=True)
    for chat in (plain, repacked):
        chat.warm_up()
        assert chat.complete(MESSAGES_YES, max_tokens=3, timeout=TIMEOUT)
    assert plain._llm.model_params.use_extra_bufts is False and repacked._llm.model_params.use_extra_bufts is True
    assert capi.llama_model_default_params().use_extra_bufts is True  # llama.cpp's default, restored


def _preload_threads():
    import threading

    return [t for t in threading.enumerate() if t.name == "rag-model-preload"]


def test_the_model_loads_beside_the_index_and_the_first_question_starts_from_its_system_line(tmp_path, real_embedder):
    a = Assistant.open(SEEDS, index_dir=tmp_path / "ix", embedder=real_embedder, llm_model="0.5b",
                       llm_timeout=TIMEOUT)
    for thread in _preload_threads():
        thread.join(TIMEOUT)
    chat = a.answerer.chat
    assert chat._llm is not None and len(chat._system.states) == 1  # loaded and primed before any question
    answer = a.ask("How many Turkish soldiers were killed?")
    assert a.note is None and answer.short_answer and "33" in answer.short_answer
    check_offsets(answer)
    lazy = Assistant.open(SEEDS, index_dir=tmp_path / "ix", embedder=real_embedder, llm_model="0.5b",
                          llm_timeout=TIMEOUT, preload=False)
    assert lazy.answerer.chat._llm is None  # nothing loads until asked
    assert lazy.ask("How many Turkish soldiers were killed?").to_dict() == answer.to_dict()


def test_a_model_that_fails_to_load_in_the_background_falls_back_on_the_first_question(tmp_path, real_embedder):
    bad = tmp_path / "notes.gguf"
    bad.write_bytes(b"this is not a model" * 100)
    a = Assistant.open(SEEDS, index_dir=tmp_path / "ix", embedder=real_embedder, llm_model=str(bad))
    for thread in _preload_threads():
        thread.join(TIMEOUT)
    answer = a.ask("How many Turkish soldiers were killed?")
    assert answer.answered_by == "rules" and "notes.gguf" in (a.note or "") and "rule reader" in a.note
