"""The distributed build writes the index the single-process build writes: worker
processes on this machine, and Ray tasks on a local 2-CPU Ray instance."""
from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

import numpy as np
import pytest

from conftest import ChunkMeanFake, FakeEmbedder
from rag.errors import ClusterError
from rag.index.chunk_index import Index
from rag.index.parallel_build import build_parallel
from rag.index.protocols import CHUNKS, SENTENCES
from rag.ingest.corpus import Corpus

# Ray resolves 127.0.0.1 to the machine's outward address unless told this is a one-machine
# cluster; read when ray is imported, and inherited by the processes the local instance starts.
os.environ["RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"] = "0"

TESTS = Path(__file__).resolve().parents[1]  # tests/, where conftest.py is
SQUAD = TESTS.parents[1] / "shared" / "data" / "squad" / "dev-v2.0.reconstructed.json"


def matrix(index: Index, collection: str, ids: list[str]) -> np.ndarray:
    """The stored vectors of ``ids``, read through the protocol: scores against each basis vector."""
    return np.stack([index.vectors.score(collection, e, ids) for e in np.eye(index.dim, dtype=np.float32)], axis=1)


def assert_same_index(a: Index, b: Index, atol: float) -> None:
    assert [(d.id, d.sha256, d.n_chunks) for d in a.docs] == [(d.id, d.sha256, d.n_chunks) for d in b.docs]
    assert [(c.id, c.start, c.end) for c in a.chunks] == [(c.id, c.start, c.end) for c in b.chunks]
    assert [s.id for s in a.sentences] == [s.id for s in b.sentences]
    for collection, ids in ((CHUNKS, [c.id for c in a.chunks]), (SENTENCES, [s.id for s in a.sentences])):
        assert a.vectors.count(collection) == b.vectors.count(collection) == len(ids)
        np.testing.assert_allclose(matrix(a, collection, ids), matrix(b, collection, ids), atol=atol)
    assert len(a.lexical) == len(b.lexical)
    for query in ("Turkish soldiers killed in Idlib", "Kremlin phone call"):
        assert [h.id for h in a.lexical.search(query, 5)] == [h.id for h in b.lexical.search(query, 5)]


def test_worker_processes_build_the_single_process_index(seeds_copy):
    single = Index.build(Corpus.from_dir(seeds_copy), FakeEmbedder())
    parent = FakeEmbedder()
    spread = build_parallel(Corpus.from_dir(seeds_copy), parent, workers=2)
    assert_same_index(single, spread, atol=1e-6)
    assert parent.texts_embedded == 0  # every text was embedded in a worker
    assert spread.stats.embedded == single.stats.embedded > 0


def test_with_chunk_means_the_workers_read_sentences_only(seeds_copy):
    single = Index.build(Corpus.from_dir(seeds_copy), ChunkMeanFake())
    spread = build_parallel(Corpus.from_dir(seeds_copy), ChunkMeanFake(), workers=2)
    assert_same_index(single, spread, atol=1e-6)
    assert spread.stats.embedded == single.stats.embedded == len({s.text for s in single.sentences})


def test_an_update_spread_over_workers_matches_a_single_process_update(seeds_copy):
    first, second = (Index.build(Corpus.from_dir(seeds_copy), FakeEmbedder()) for _ in range(2))
    article = next(seeds_copy.glob("*.txt"))
    article.write_text(article.read_text(encoding="utf-8") + "\nA new closing paragraph about grain exports.\n",
                       encoding="utf-8")
    single = Index.build(Corpus.from_dir(seeds_copy), FakeEmbedder(), previous=first)
    spread = build_parallel(Corpus.from_dir(seeds_copy), FakeEmbedder(), previous=second, workers=2)
    assert_same_index(single, spread, atol=1e-6)
    assert spread.stats.reused_documents == single.stats.reused_documents == len(single.docs) - 1


def test_a_pooling_embedder_is_refused_rather_than_saved_with_plain_vectors(seeds_copy):
    class Pooling(FakeEmbedder):
        pools_spans = True

    with pytest.raises(ValueError, match="one worker, or turn pool_sentences off"):
        build_parallel(Corpus.from_dir(seeds_copy), Pooling(), workers=2)


def test_an_unreachable_ray_cluster_is_one_clear_error(seeds_copy):
    ray = pytest.importorskip("ray")
    assert not ray.is_initialized()  # this test runs before the module's Ray instance starts
    with pytest.raises(ClusterError, match=r"127\.0\.0\.1:9.*ray start --head"):
        build_parallel(Corpus.from_dir(seeds_copy), FakeEmbedder(), ray_address="127.0.0.1:9")


@pytest.fixture(scope="module")
def ray_address():
    """A local Ray instance of its own: 2 CPUs (so 2 task workers) on 127.0.0.1, stopped after the module.

    Built for a loaded 2-core machine that other test runs share: ``address="local"`` always starts a
    new instance (never one RAY_ADDRESS or the last `ray start` names); its own temp folder, not the
    shared /tmp/ray whose ``session_latest`` link other runs move (short: Ray's socket paths must fit
    in 107 bytes), removed afterwards; a small object store (the tests move kilobytes); and patient
    waits, so a worker that registers late or a heartbeat delayed by load is waited for, not reported
    as a dead node. A task's error or a wrong index still fails the tests."""
    ray = pytest.importorskip("ray")
    temp = tempfile.mkdtemp(prefix="ray-", dir="/tmp")
    try:
        ray.init(address="local", num_cpus=2, include_dashboard=False, _node_ip_address="127.0.0.1",
                 log_to_driver=False, _temp_dir=temp, object_store_memory=100 * 2**20,
                 # defaults: 60 s to register a worker, a node dead after 5 missed 3 s heartbeats
                 _system_config={"worker_register_timeout_seconds": 300, "health_check_failure_threshold": 40},
                 # The workers import the test embedder (conftest) by module name, like a cluster imports rag.
                 runtime_env={"env_vars": {"PYTHONPATH": str(TESTS)}})
        yield ray.get_runtime_context().gcs_address
    finally:
        ray.shutdown()
        shutil.rmtree(temp, ignore_errors=True)


def test_ray_tasks_build_the_single_process_index(seeds_copy, ray_address):
    assert ray_address.startswith("127.0.0.1:")
    single = Index.build(Corpus.from_dir(seeds_copy), FakeEmbedder())
    parent = FakeEmbedder()
    spread = build_parallel(Corpus.from_dir(seeds_copy), parent, ray_address=ray_address)
    assert_same_index(single, spread, atol=1e-6)
    assert parent.texts_embedded == 0


@pytest.mark.slow
@pytest.mark.integration
def test_real_model_on_squad_paragraphs_gives_the_same_index_in_processes_and_on_ray(tmp_path, real_embedder,
                                                                                     ray_address):
    if not SQUAD.is_file():
        pytest.skip(f"SQuAD dev set not found at {SQUAD}")
    paragraphs = [p["context"] for article in json.loads(SQUAD.read_text(encoding="utf-8"))["data"][:2]
                  for p in article["paragraphs"][:3]]
    for i, text in enumerate(paragraphs):
        (tmp_path / f"p{i}.txt").write_text(text + "\n", encoding="utf-8")
    single = Index.build(Corpus.from_dir(tmp_path), real_embedder)
    assert len(single.chunks) >= len(paragraphs)
    for where in ({"workers": 2}, {"ray_address": ray_address}):
        spread = build_parallel(Corpus.from_dir(tmp_path), real_embedder, **where)
        assert_same_index(single, spread, atol=1e-4)  # other batch groupings: float noise only
