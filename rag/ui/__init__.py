"""The web chat behind ``rag serve``.

- :mod:`rag.ui.render` — pure HTML for answers, citations, sources, documents (everything escaped);
- :mod:`rag.ui.upload` — uploaded articles into the corpus folder, safely;
- :mod:`rag.ui.app`    — the Gradio page and its event handlers.

Nothing here is imported by ``import rag``: Gradio loads only when the chat starts.
"""
