"""The searchable index: chunks with their vectors (FAISS) and BM25, stored as checksummed generations,
and the one place that decides whether to load, update or build it."""
