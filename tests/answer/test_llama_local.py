"""rag.answer.llama_local: loading errors, streaming, the deadline and the window, each a one-line AnswererError.

The generation logic runs against a scripted stand-in for ``llama_cpp.Llama`` (the real model is in
tests/answer/test_llm_integration.py, marked slow); loading errors use the real llama-cpp-python."""
import pytest

from rag.answer import llama_local
from rag.answer.llama_local import LlamaCppChat
from rag.errors import AnswererError

MESSAGES = [{"role": "user", "content": "Say yes."}]


class ScriptedLlama:
    """Streams the given pieces as chat-completion deltas; ``error`` is raised instead when set."""

    def __init__(self, pieces, error=None):
        self.pieces, self.error, self.calls, self.closed = pieces, error, [], False

    def create_chat_completion(self, **kwargs):
        self.calls.append(kwargs)
        if self.error:
            raise self.error
        return self._stream()

    def _stream(self):
        try:
            yield {"choices": [{"delta": {"role": "assistant"}}]}
            for piece in self.pieces:
                yield {"choices": [{"delta": {"content": piece}}]}
        finally:
            self.closed = True

    def tokenize(self, data, add_bos):
        return data.split()

    def reset(self):  # every prompt starts from an empty cache: this stand-in has no chat template to read
        self.calls.append("reset")


def chat_with(llama, **settings) -> LlamaCppChat:
    chat = LlamaCppChat("unused.gguf", **settings)
    chat._llm = llama  # loaded already: no file is read
    return chat


def test_the_reply_is_streamed_piece_by_piece_with_greedy_decoding():
    llama, seen = ScriptedLlama(["Ye", "s", ""]), []
    assert chat_with(llama).complete(MESSAGES, max_tokens=3, on_token=seen.append) == "Yes"
    assert seen == ["Ye", "s"]
    assert llama.calls == ["reset", {"messages": MESSAGES, "max_tokens": 3, "temperature": 0.0, "top_k": 1,
                                     "stream": True}]


def test_a_reply_past_the_deadline_is_an_error_and_the_stream_is_closed(monkeypatch):
    clock = iter([0.0, 0.5, 5.0, 5.0])  # deadline set at 0 + 1 s; the second piece arrives at 5 s
    monkeypatch.setattr(llama_local.time, "monotonic", lambda: next(clock))
    llama, seen = ScriptedLlama(["a", "b", "c"]), []
    with pytest.raises(AnswererError, match=r"the model did not answer within 1 s; raise --llm-timeout or use a "
                                            r"smaller model \(--llm-model 0\.5b\)"):
        chat_with(llama).complete(MESSAGES, timeout=1.0, on_token=seen.append)
    assert llama.closed


def test_a_prompt_over_the_window_says_to_ask_with_fewer_passages():
    llama = ScriptedLlama([], error=ValueError("Requested tokens (5000) exceed context window of 4096"))
    with pytest.raises(AnswererError, match=r"do not fit the model's window of 4096 tokens .*; ask with fewer "
                                            r"passages \(-k\)"):
        chat_with(llama).complete(MESSAGES)
    with pytest.raises(AnswererError, match=r"llama.cpp failed to answer \(bad grammar\)"):
        chat_with(ScriptedLlama([], error=ValueError("bad grammar"))).complete(MESSAGES)


def test_count_tokens_uses_the_model_tokenizer():
    assert chat_with(ScriptedLlama([])).count_tokens("three little words") == 3


def test_settings_are_checked():
    with pytest.raises(ValueError, match="n_ctx is the model's window in tokens and must be at least 512; got 256"):
        LlamaCppChat("m.gguf", n_ctx=256)
    assert LlamaCppChat("/models/qwen.gguf").name == "llama.cpp:qwen.gguf"


def test_a_missing_model_file_is_reported_on_first_use(tmp_path):
    chat = LlamaCppChat(tmp_path / "none.gguf")  # construction reads nothing
    with pytest.raises(AnswererError, match=r"model file .*none\.gguf does not exist; pass --llm-model 0\.5b, 1\.5b"):
        chat.complete(MESSAGES)


def test_a_file_that_is_not_gguf_is_reported_with_the_fix(tmp_path):
    bad = tmp_path / "notes.gguf"
    bad.write_bytes(b"this is not a model" * 100)
    with pytest.raises(AnswererError, match=r"llama.cpp cannot load .*notes\.gguf .*check that it is a GGUF model file"):
        LlamaCppChat(bad).warm_up()
