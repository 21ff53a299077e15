"""Reading an OpenAI-compatible chat API's replies: a whole JSON reply, a stream of
server-sent events, and an error body turned into one line that says what failed and the fix.
Pure functions on bytes; the HTTP calls are :mod:`rag.answer.endpoint`.

    >>> reply_text(b'{"choices": [{"message": {"role": "assistant", "content": "Yes"}}]}', EXAMPLE_URL)
    'Yes'
    >>> list(stream_pieces([b'data: {"choices": [{"delta": {"content": "Ye"}}]}', b'data: [DONE]'], EXAMPLE_URL))
    ['Ye']
"""
from __future__ import annotations

import http.client
import json
import re
import urllib.error
from typing import Iterable, Iterator

from rag.errors import AnswererError

EXAMPLE_URL = "http://127.0.0.1:8080/v1"
SNIPPET = 200  # characters of a server's reply or message quoted in an error
# llama_cpp.server and vLLM: "This model's maximum context length is 2048 tokens. However, ..."
# (code context_length_exceeded); llama.cpp's own server: "the request exceeds the available
# context size, try increasing it" (type exceed_context_size_error)
_CONTEXT = re.compile(r"context[ _](length|window|size)|exceed_context|maximum context", re.IGNORECASE)


def reply_text(body: bytes, url: str) -> str:
    """The text of a whole (not streamed) chat-completions reply.

        >>> reply_text(b'{"choices": [{"message": {"role": "assistant", "content": "Yes"}}]}', EXAMPLE_URL)
        'Yes'
    """
    payload = _json(_decode(body, url), url)
    choices = payload.get("choices")
    if choices and isinstance(choices[0], dict):
        message = choices[0].get("message")
        text = message.get("content") if isinstance(message, dict) else choices[0].get("text")
        if isinstance(text, str):
            return text
    raise AnswererError(f"{url} replied without a text choice ({_snip(body)}); "
                        f"check that --llm-url is an OpenAI-compatible chat API serving a chat model")


def stream_pieces(lines: Iterable[bytes], url: str) -> Iterator[str]:
    """The text pieces of a streamed chat-completions reply: server-sent
    ``data: {...}`` lines up to ``data: [DONE]``; other lines are skipped.

        >>> list(stream_pieces([b'data: {"choices": [{"delta": {"role": "assistant"}}]}', b'',
        ...                     b': ping', b'data: {"choices": [{"delta": {"content": "Ye"}}]}',
        ...                     b'data: {"choices": [{"delta": {"content": "s"}}]}', b'data: [DONE]'], EXAMPLE_URL))
        ['Ye', 's']
    """
    for raw in lines:
        line = _decode(raw, url).strip()
        if not line.startswith("data:"):
            continue  # blank separators, ": ping" comments, "event:" and "id:" fields
        data = line[len("data:"):].strip()
        if data == "[DONE]":
            return
        choices = _json(data, url).get("choices") or [{}]
        delta = choices[0].get("delta") if isinstance(choices[0], dict) else None
        piece = delta.get("content") if isinstance(delta, dict) else None
        if isinstance(piece, str) and piece:
            yield piece
    raise StreamCut(f"the reply stream from {url} ended before its last event (data: [DONE]); "
                     f"the server may have stopped, see its log")


def server_error(body: bytes, url: str, status: int | None = None) -> AnswererError:
    """The error for a server's error reply (an HTTP error status, or an
    ``"error"`` object in a 200 reply or an event stream), quoting its message.

        >>> print(server_error(b'{"error": {"message": "Requested 2100 tokens; the maximum context length is 2048."}}',
        ...                    EXAMPLE_URL, 400))  # doctest: +ELLIPSIS
        the prompt is longer than the context window of the model at http://127.0.0.1:8080/v1 (Requested 2100 ...
        >>> print(server_error(b'<h1>Bad Gateway</h1>', EXAMPLE_URL, 502))
        http://127.0.0.1:8080/v1 answered HTTP 502: <h1>Bad Gateway</h1>; see the server log
    """
    message = _server_message(body)
    if _CONTEXT.search(body.decode("utf-8", errors="replace")):
        return AnswererError(f"the prompt is longer than the context window of the model at {url} ({message}); "
                             f"give fewer or shorter passages, or serve the model with a larger context "
                             f"(llama_cpp.server: --n_ctx 4096)")
    fix = {401: "give the server's API key", 403: "give the server's API key",
           404: f"check that --llm-url is the API base (like {EXAMPLE_URL}) and that the server has the model",
           429: "wait and ask again, or raise the server's rate limit"}.get(status or 0)
    if fix is None:
        fix = "check the model name and the server's options" if status and status < 500 else "see the server log"
    return AnswererError(f"{url} answered {f'HTTP {status}' if status else 'with an error'}: {message}; {fix}")


class StreamCut(AnswererError):
    """A reply stream that ended before ``data: [DONE]``."""


def _decode(raw: bytes, url: str) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise AnswererError(f"{url} replied with bytes that are not UTF-8 text ({raw[:SNIPPET]!r}, {exc.reason} at "
                            f"byte {exc.start}); check that --llm-url is an OpenAI-compatible API") from None


def _json(text: str, url: str) -> dict:
    try:
        payload = json.loads(text)
    except json.JSONDecodeError:
        payload = None
    if not isinstance(payload, dict):
        raise AnswererError(f"{url} replied with something that is not a JSON object ({_snip(text)}); "
                            f"check that --llm-url is an OpenAI-compatible API (like {EXAMPLE_URL})")
    if "error" in payload:  # some servers report errors with status 200 or inside the event stream
        raise server_error(text.encode(), url)
    return payload


def _server_message(body: bytes) -> str:
    """The server's own error message, one line, at most SNIPPET characters:
    OpenAI's ``{"error": {"message": ...}}``, FastAPI's ``{"detail": ...}``, or the raw body."""
    text = body.decode("utf-8", errors="replace")
    try:
        payload = json.loads(text)
    except json.JSONDecodeError:
        payload = None
    if isinstance(payload, dict):
        found = payload.get("error", payload.get("detail", payload.get("message")))
        if isinstance(found, dict):
            found = found.get("message", found)
        text = found if isinstance(found, str) else json.dumps(found)
    return _snip(text) if text.strip() else "(no message)"


def _snip(text: str | bytes) -> str:
    if isinstance(text, bytes):
        text = text.decode("utf-8", errors="replace")
    line = " ".join(text.split())
    return line if len(line) <= SNIPPET else line[:SNIPPET - 1] + "…"


def read_error(exc: urllib.error.HTTPError) -> bytes:
    """The body of an HTTP error reply, or b"" when it cannot be read."""
    try:
        return exc.read()
    except (OSError, http.client.HTTPException):
        return b""
