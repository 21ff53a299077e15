"""Domain errors. The library raises these; only the CLI and the UI turn them
into user messages. Every message names the bad value and says how to fix it."""


class RagError(Exception):
    """Base class for every error the user can act on."""


class CorpusError(RagError):
    """The articles folder is missing, empty, or holds no readable file."""


class IndexStoreError(RagError):
    """The on-disk index is missing or corrupt."""


class IndexMismatchError(IndexStoreError):
    """The index was built with another model, dimension or chunking."""


class IndexFormatError(IndexMismatchError):
    """The index was written by an older version of this program; rebuilding it
    loses nothing (it is derived from the articles), so opening it does that."""


class IndexRecipeError(IndexFormatError):
    """The same model made the index's vectors another way (int8, pooled, chunk means); opening it
    rebuilds it, and the message, which says how, is the note shown."""


class ModelError(RagError):
    """The embedding model cannot be loaded."""


class QueryError(RagError, ValueError):
    """The question is empty, too long or otherwise unusable."""


class AnswererError(RagError):
    """The answering model cannot be used: a missing or damaged model file, a
    llama-cpp-python that is not installed, an unreachable or slow endpoint,
    a reply that is not text, or a context longer than the model's window."""


class StoreUnreachableError(IndexStoreError):
    """The vector store named by --store (a Milvus server) does not answer,
    or answered too late; the message names the URI and how to fix it."""


class ClusterError(RagError):
    """The Ray cluster named by --ray cannot be reached."""
