"""Texts to unit vectors: the one-method Embedder, the sentence-transformers model (PyTorch or ONNX Runtime)
and the content hash that names a model."""
