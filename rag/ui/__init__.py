"""The web chat behind ``rag serve``.

- :mod:`rag.ui.app`       — the Gradio page: layout and events;
- :mod:`rag.ui.serve`     — ``rag serve``: the port checked, the assistant warmed up, the page served;
- :mod:`rag.ui.chat`      — the Chat tab's handlers: answers, filters, starting over;
- :mod:`rag.ui.documents` — the Documents tab's handlers: list, read, add (with progress), remove;
- :mod:`rag.ui.render`    — pure HTML for answers, citations, sources (everything escaped);
- :mod:`rag.ui.docview`   — pure HTML for the documents table and the reader;
- :mod:`rag.ui.copytext`  — an answer as plain text, for copying and screen readers;
- :mod:`rag.ui.upload`    — uploaded articles into the user's uploads folder, safely, and out again;
- :mod:`rag.ui.ready`     — warming up before Ready, and a quiet console;
- :mod:`rag.ui.notices`   — inline error messages.

Nothing here is imported by ``import rag``: Gradio loads only when the chat starts.
"""
