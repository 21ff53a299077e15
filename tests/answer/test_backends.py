"""rag.answer.backends: which answerer the settings give, and a fallback note instead of a crash."""
import pytest

from rag.answer.backends import fallback_note, make_answerer
from rag.answer.llm import CONFIRM_MIN
from rag.errors import AnswererError


def test_rules_means_no_language_model():
    assert make_answerer("rules") == (None, None)


def test_an_unknown_kind_names_the_choices():
    with pytest.raises(ValueError, match=r"answerer must be one of llm, rules; got 'gpt'\."):
        make_answerer("gpt")


def test_a_missing_local_model_falls_back_to_the_rules_with_a_note(tmp_path):
    answerer, note = make_answerer("llm", llm_model=tmp_path / "nowhere.gguf", llm_cache=tmp_path / "cache")
    assert answerer is None
    assert note.startswith(f"cannot read LLM model file {tmp_path / 'nowhere.gguf'} (No such file or directory): pass ")
    assert note.endswith(". The rule reader answers instead.")


def test_an_endpoint_url_gives_a_model_answerer_without_connecting():
    # Port 9 (discard) is closed here: making the answerer must not touch the network.
    answerer, note = make_answerer("llm", llm_url="http://127.0.0.1:9/v1", llm_name="qwen")
    assert note is None and answerer.name == "llm:endpoint:qwen"


def test_fallback_note_joins_the_reason_and_who_answers():
    assert fallback_note(AnswererError("the model file is damaged.")) == \
        "the model file is damaged. The rule reader answers instead."
    assert fallback_note(ValueError("timed out"), "Try again.") == "timed out. Try again."


def gguf(path):
    path.write_bytes(b"GGUF\x03\x00\x00\x00")  # check_gguf reads the magic only; nothing is loaded
    return path


def test_the_confirmation_level_is_the_models_own_unless_set(tmp_path):
    # The bundled 0.5b's check does not separate on dev, so it is not asked; any other model is, at CONFIRM_MIN.
    small = gguf(tmp_path / "qwen2.5-coder-0.5b-instruct-q4_k_m.gguf")
    other = gguf(tmp_path / "other-model.gguf")
    assert make_answerer("llm", llm_model=small)[0].confirm_min is None
    assert make_answerer("llm", llm_model=other)[0].confirm_min == CONFIRM_MIN
    assert make_answerer("llm", llm_model=small, llm_confirm=0.7)[0].confirm_min == 0.7
    assert make_answerer("llm", llm_model=other, llm_confirm="off")[0].confirm_min is None
    assert make_answerer("llm", llm_url="http://127.0.0.1:9/v1")[0].confirm_min == CONFIRM_MIN
    with pytest.raises(ValueError, match=r"share between 0 and 1, or off; got 1.5"):
        make_answerer("llm", llm_model=other, llm_confirm=1.5)
