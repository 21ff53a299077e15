"""Incremental updates: one changed article upserts and deletes its own ids only (fake embedder, real files)."""
from __future__ import annotations

from conftest import FakeEmbedder
from rag.index.codec import load
from rag.index.open_index import open_index
from rag.index.protocols import CHUNKS, SENTENCES, Filter

CHANGED = "russia-turkey-crisis-talks.txt"
REMOVED = "sputnik-kremlin-turkey-diplomats-safety.txt"
NEW_SENTENCE = "The quartermaster counted eleven armoured ambulances at the border post."


def labels(index, collection):
    """The faiss label of every stored id: a vector re-added under the same id would get a new one."""
    return dict(index.vectors._collections[collection].label_of)


def ids_of(index, doc_id):
    chunks = [c for c in index.chunks if c.doc_id == doc_id]
    return {c.id for c in chunks}, {s.id for c in chunks for s in c.sentences}


def test_changing_one_article_touches_only_its_ids(tmp_path, seeds_copy):
    embedder, index_dir = FakeEmbedder(), tmp_path / "idx"
    before, status = open_index(seeds_copy, embedder=embedder, index_dir=index_dir)
    assert status == "built"
    old_chunks, old_sentences = labels(before, CHUNKS), labels(before, SENTENCES)
    doc_id = next(d.id for d in before.docs if d.path.endswith(CHANGED))
    old_doc_chunks, old_doc_sentences = ids_of(before, doc_id)

    path = seeds_copy / CHANGED
    path.write_text(path.read_text(encoding="utf-8").rstrip("\n") + "\n\n" + NEW_SENTENCE + "\n", encoding="utf-8")
    embedder.texts_embedded = 0
    after, status = open_index(seeds_copy, embedder=embedder, index_dir=index_dir)
    assert status == "updated" and after.stats.reused_documents == 4

    new_doc_chunks, new_doc_sentences = ids_of(after, doc_id)
    added = {after.chunk_by_id[i].text for i in new_doc_chunks - old_doc_chunks}
    added |= {s.text for s in after.sentences if s.id in new_doc_sentences - old_doc_sentences}
    assert added and embedder.texts_embedded == len(added)  # only the new ids' texts were embedded, each once
    new_chunks, new_sentences = labels(after, CHUNKS), labels(after, SENTENCES)
    for old, new, own in ((old_chunks, new_chunks, old_doc_chunks), (old_sentences, new_sentences, old_doc_sentences)):
        kept = {i: label for i, label in old.items() if i not in own}
        assert {i: new[i] for i in kept} == kept  # every other vector keeps its label: not re-added
    assert set(new_chunks) == {c.id for c in after.chunks} and set(new_sentences) == {s.id for s in after.sentences}
    assert not (old_doc_chunks - new_doc_chunks) & set(new_chunks)  # the changed article's stale chunks are gone

    reloaded = load(index_dir)
    hits = reloaded.lexical.search("quartermaster ambulances", k=3, where=Filter(doc_ids=frozenset({doc_id})))
    assert hits and NEW_SENTENCE in reloaded.chunk_by_id[hits[0].id].text
    assert labels(reloaded, CHUNKS) == new_chunks


def test_removing_an_article_deletes_its_ids_from_every_store(tmp_path, seeds_copy):
    embedder, index_dir = FakeEmbedder(), tmp_path / "idx"
    before, _ = open_index(seeds_copy, embedder=embedder, index_dir=index_dir)
    doc_id = next(d.id for d in before.docs if d.path.endswith(REMOVED))
    gone_chunks, gone_sentences = ids_of(before, doc_id)
    others = {i: label for i, label in labels(before, CHUNKS).items() if i not in gone_chunks}

    (seeds_copy / REMOVED).unlink()
    embedder.texts_embedded = 0
    after, status = open_index(seeds_copy, embedder=embedder, index_dir=index_dir)
    assert status == "updated" and embedder.texts_embedded == 0 and len(after.docs) == 4
    assert not gone_chunks & after.vectors.ids(CHUNKS) and not gone_sentences & after.vectors.ids(SENTENCES)
    assert len(after.lexical) == len(after.chunks) == after.vectors.count(CHUNKS)
    assert labels(after, CHUNKS) == others
    assert after.vectors.search(CHUNKS, embedder.embed(["Sputnik diplomats"])[0], 3,
                                where=Filter(doc_ids=frozenset({doc_id}))) == []


def test_a_changed_date_updates_the_payload_the_filters_read(tmp_path, seeds_copy):
    embedder, index_dir = FakeEmbedder(), tmp_path / "idx"
    before, _ = open_index(seeds_copy, embedder=embedder, index_dir=index_dir)
    doc_id = next(d.id for d in before.docs if d.path.endswith(CHANGED))
    (seeds_copy / "metadata.json").write_text('{"%s": {"date": "2031-05-05"}}' % CHANGED, encoding="utf-8")
    after, _ = open_index(seeds_copy, embedder=embedder, index_dir=index_dir)
    assert after.doc_by_id[doc_id].date == "2031-05-05"
    where = Filter(date_from="2031-01-01")
    q = embedder.embed(["Putin Erdogan talks"])[0]
    assert {h.payload["doc_id"] for h in after.vectors.search(CHUNKS, q, 50, where=where)} == {doc_id}
    assert {h.payload["doc_id"] for h in after.lexical.search("Putin Erdogan", 50, where=where)} == {doc_id}


def test_an_index_of_format_2_is_rebuilt_once_with_a_note(tmp_path, seeds_copy):
    """Format 3 stores vectors by id: an index written before it (vectors.bin, sentences.npy) is rebuilt."""
    import json

    from rag.index.generations import read_generation, write_generation

    embedder, index_dir = FakeEmbedder(), tmp_path / "idx"
    open_index(seeds_copy, embedder=embedder, index_dir=index_dir)
    files = read_generation(index_dir)
    manifest = json.loads(files["manifest.json"])
    write_generation(index_dir, {"manifest.json": json.dumps({**manifest, "format_version": 2}).encode(),
                                 "vectors.bin": b"rag-vectors v1\n", "sentences.npy": b""})
    index, status = open_index(seeds_copy, embedder=embedder, index_dir=index_dir)
    assert status == "built" and any("older version of rag; rebuilt it" in w for w in index.stats.warnings)
    assert open_index(seeds_copy, embedder=embedder, index_dir=index_dir)[1] == "loaded"
