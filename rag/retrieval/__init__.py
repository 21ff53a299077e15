"""From a question to ranked passages: query and filter validation, dense + BM25 score fusion, the Retriever."""
