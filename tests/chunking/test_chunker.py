from pathlib import Path

import pytest
from hypothesis import given, settings, strategies as st

from rag.chunking.chunker import Chunker, stable_id
from rag.ingest.corpus import parse_document, read_folder
from rag.chunking.tokens import count_tokens

from conftest import SEEDS


def _doc(text, name="t.txt"):
    return parse_document("t", Path(name), text)


def test_chunks_of_the_bundled_articles_are_exact_slices_within_budget():
    chunker = Chunker(max_tokens=120, overlap_tokens=30)
    for doc in read_folder(SEEDS).documents:
        chunks = chunker.run(doc)
        assert chunks
        on_disk = open(Path(SEEDS) / Path(doc.path).name, encoding="utf-8").read()
        for c in chunks:
            assert on_disk[c.start:c.end] == c.text
            assert c.n_tokens <= 120 or len(c.sentences) == 1
            for s in c.sentences:
                assert on_disk[s.start:s.end] == s.text and c.start <= s.start < s.end <= c.end
        # Every visible character of the cleaned article is inside some sentence of some chunk.
        covered = set()
        for c in chunks:
            for s in c.sentences:
                covered.update(range(s.start, s.end))
        for b in doc.blocks:
            missing = [i for i in range(b.start, b.end) if not doc.text[i].isspace() and i not in covered]
            assert not missing, doc.text[b.start:b.end]


def test_overlap_repeats_trailing_sentences():
    text = "Headline\n" + " ".join(f"Sentence number {i} is about the town." for i in range(12))
    chunks = Chunker(max_tokens=40, overlap_tokens=12).run(_doc(text))
    assert len(chunks) > 2
    for a, b in zip(chunks, chunks[1:]):
        assert b.start < a.end  # the next chunk begins inside the previous one
        assert b.sentences[0].text == a.sentences[-1].text


def test_no_overlap_means_disjoint_chunks():
    text = "Headline\n" + " ".join(f"Sentence number {i} is about the town." for i in range(12))
    chunks = Chunker(max_tokens=40, overlap_tokens=0).run(_doc(text))
    for a, b in zip(chunks, chunks[1:]):
        assert b.start > a.end


def test_an_over_long_sentence_is_cut_within_budget():
    text = "Headline\n" + "word " * 500 + "end."
    chunks = Chunker(max_tokens=50, overlap_tokens=0).run(_doc(text))
    assert len(chunks) >= 10
    assert all(count_tokens(c.text) <= 50 for c in chunks)


def test_ids_are_stable_and_depend_on_position():
    doc = read_folder(SEEDS).documents[0]
    a, b = Chunker().run(doc), Chunker().run(doc)
    assert [c.id for c in a] == [c.id for c in b]
    assert stable_id("d", 0, 5, "hello") != stable_id("d", 1, 6, "hello")


def test_settings_are_validated():
    with pytest.raises(ValueError, match="overlap_tokens"):
        Chunker(max_tokens=50, overlap_tokens=50)
    with pytest.raises(ValueError, match="max_tokens"):
        Chunker(max_tokens=2)


_words = st.sampled_from(["Turkey", "said", "33", "soldiers", "U.S.", "Feb.", "talks", "“quoted”", "é", "—", "<|endoftext|>", "🙂"])
_line = st.lists(st.lists(_words, min_size=1, max_size=12).map(" ".join), min_size=1, max_size=4).map(". ".join)


@settings(max_examples=60, deadline=None)
@given(lines=st.lists(_line, min_size=1, max_size=8), sep=st.sampled_from(["\n", "\n\n", "\n  \n"]),
       max_tokens=st.integers(10, 80), overlap=st.integers(0, 9))
def test_property_every_chunk_is_the_slice_of_its_source(lines, sep, max_tokens, overlap):
    text = "Headline words\n" + sep.join(lines) + "\n"
    doc = _doc(text)
    for c in Chunker(max_tokens=max_tokens, overlap_tokens=overlap).run(doc):
        assert text[c.start:c.end] == c.text
        for s in c.sentences:
            assert text[s.start:s.end] == s.text and s.text.strip() == s.text
