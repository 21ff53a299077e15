"""An OpenAI-compatible chat endpoint (Ollama, a llama.cpp server, vLLM) as a
:class:`~rag.answer.draft.ChatModel`, with the standard library only.

One call is one POST to ``{url}/chat/completions``: the reply is read whole
(JSON), or as server-sent events when ``on_token`` is given. The request runs
in a worker thread; the caller's thread waits on it with one deadline for the
whole call (connecting, the prompt, every token), calls ``on_token`` itself,
and raises as soon as the deadline passes. A stream that ends before its
first piece and its end marker is asked again without streaming, to learn
why (llama_cpp.server 0.3 reports a too-long prompt only that way). Every
failure is an :class:`~rag.errors.AnswererError` whose one line says what
failed and how to fix it.

Example (the first two lines need no server):
    >>> chat = EndpointChat("http://127.0.0.1:8080/v1/", timeout=20)
    >>> chat.name, chat.url
    ('endpoint:http://127.0.0.1:8080/v1', 'http://127.0.0.1:8080/v1')
    >>> chat.complete([{"role": "user", "content": "Reply with the word: yes"}], max_tokens=4)  # doctest: +SKIP
    'Yes'
    >>> chat.complete([{"role": "user", "content": "Count to 3"}], on_token=print)  # doctest: +SKIP
    1
    ,
    ...
"""
from __future__ import annotations

import http.client
import json
import queue
import re
import threading
import time
import urllib.error
import urllib.request
from typing import Iterable, Iterator
from urllib.parse import urlsplit

from rag.errors import AnswererError
from rag.answer.draft import OnToken

EXAMPLE_URL = "http://127.0.0.1:8080/v1"
START_HINT = "start one (e.g. `python -m llama_cpp.server --model FILE`) or drop --llm-url to use the bundled model"
SNIPPET = 200  # characters of a server's reply or message quoted in an error
# llama_cpp.server and vLLM: "This model's maximum context length is 2048 tokens. However, ..."
# (code context_length_exceeded); llama.cpp's own server: "the request exceeds the available
# context size, try increasing it" (type exceed_context_size_error)
_CONTEXT = re.compile(r"context[ _](length|window|size)|exceed_context|maximum context", re.IGNORECASE)
_LOOPBACK = {"localhost", "127.0.0.1", "::1"}
_NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # a local server is never behind a proxy


def endpoint_url(url: str) -> str:
    """The API base of an OpenAI-compatible server, checked: an http(s) URL with
    a host, given without a trailing slash or ``/chat/completions``.

        >>> endpoint_url("http://127.0.0.1:11434/v1/chat/completions")
        'http://127.0.0.1:11434/v1'
        >>> endpoint_url("localhost:8080")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        rag.errors.AnswererError: --llm-url 'localhost:8080' is not an http(s) URL with a host; give one like ...
    """
    text = url.strip().rstrip("/") if isinstance(url, str) else ""
    parts = urlsplit(text)
    try:
        parts.port  # noqa: B018 -- raises ValueError on a port that is not a number in 0-65535
        good = parts.scheme in ("http", "https") and bool(parts.hostname)
    except ValueError:
        good = False
    if not good:
        raise AnswererError(f"--llm-url {url!r} is not an http(s) URL with a host; give one like {EXAMPLE_URL}")
    return text.removesuffix("/chat/completions")


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
    raise _StreamCut(f"the reply stream from {url} ended before its last event (data: [DONE]); "
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


class EndpointChat:
    """A chat model behind an OpenAI-compatible HTTP API (``/chat/completions``).

    ``url`` is the API base (``http://127.0.0.1:8080/v1``); ``model`` the name
    the server serves (sent only when given: llama.cpp's servers and vLLM
    default to their one model, Ollama needs it); ``api_key`` is sent as a
    bearer token; ``timeout`` is the default deadline of a call, in seconds.
    Proxies from the environment are used except for a loopback host."""

    def __init__(self, url: str, *, model: str | None = None, api_key: str | None = None, timeout: float = 30.0):
        self.url = endpoint_url(url)
        self.model = model
        self.api_key = api_key
        self.timeout = _seconds(timeout)
        self.name = f"endpoint:{model or self.url}"
        local = urlsplit(self.url).hostname in _LOOPBACK
        self._open = _NO_PROXY.open if local else urllib.request.urlopen

    def complete(self, messages: list[dict], *, max_tokens: int = 48, timeout: float | None = None,
                 on_token: OnToken | None = None) -> str:
        """The reply to ``messages``, at most ``max_tokens`` tokens, greedy
        (temperature 0). With ``on_token`` the reply is streamed and each piece
        passed to it as it comes; the return value is the pieces joined.
        ``timeout`` (default: the constructor's) bounds the whole call."""
        limit = self.timeout if timeout is None else _seconds(timeout)
        stream = on_token is not None
        body = {"messages": messages, "max_tokens": max_tokens, "temperature": 0}
        if self.model:
            body["model"] = self.model
        headers = {"Content-Type": "application/json", "User-Agent": "rag-endpoint-chat"}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        call = _Call(self._open, self.url, body, headers, limit, stream)
        deadline = time.monotonic() + limit
        threading.Thread(target=call.run, name=f"{self.name} call", daemon=True).start()
        pieces: list[str] = []
        try:
            while True:
                try:
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        raise queue.Empty
                    kind, value = call.events.get(timeout=remaining)
                except queue.Empty:
                    raise _too_slow(self.url, limit) from None
                if kind == "error":
                    raise value
                if kind == "done":
                    return "".join(pieces) if stream else value
                pieces.append(value)
                on_token(value)
        finally:
            call.cancelled.set()  # the worker stops reading and closes the connection

    def __repr__(self) -> str:
        return f"EndpointChat({self.url!r}, model={self.model!r}, timeout={self.timeout:g})"


class _StreamCut(AnswererError):
    """A reply stream that ended before ``data: [DONE]``."""


class _Call:
    """One request, run by a worker thread. ``events`` receives ("piece", text)
    for each streamed piece, then ("done", whole text or None) or ("error",
    AnswererError). The worker stops at the next piece once ``cancelled`` is
    set; a blocked read ends at the socket timeout (the call's limit)."""

    def __init__(self, open_, url: str, body: dict, headers: dict, limit: float, stream: bool):
        # url: the API base, named in errors; body: the request without "stream"
        self.open, self.url, self.body, self.headers = open_, url, body, headers
        self.limit, self.stream = limit, stream
        self.events: queue.Queue[tuple[str, object]] = queue.Queue()
        self.cancelled = threading.Event()

    def run(self) -> None:
        try:
            if self.stream and self._relay():
                return
            # not streaming, or a stream that ended before its first piece: the whole reply says why
            # (llama_cpp.server 0.3 reports a prompt longer than its window only outside a stream)
            if not self.cancelled.is_set():
                self._deliver(self._post(stream=False))
        except AnswererError as exc:
            self.events.put(("error", exc))
        except urllib.error.HTTPError as exc:
            self.events.put(("error", server_error(_read(exc), self.url, exc.code)))
        except (urllib.error.URLError, OSError, http.client.HTTPException) as exc:
            self.events.put(("error", self._transport_error(exc)))
        except Exception as exc:  # noqa: BLE001 -- said now, not as a timeout at the deadline
            self.events.put(("error", AnswererError(f"the call to {self.url} failed ({exc!r}); "
                                                    f"check --llm-url and the server log")))

    def _post(self, *, stream: bool):
        """The open response (streamed), or the reply text (not streamed)."""
        data = json.dumps({**self.body, "stream": stream}).encode()
        request = urllib.request.Request(f"{self.url}/chat/completions", data=data, headers=self.headers, method="POST")
        if stream:
            return self.open(request, timeout=self.limit)
        with self.open(request, timeout=self.limit) as response:
            return reply_text(response.read(), self.url)

    def _relay(self) -> bool:
        """Streams the reply to ``events``; False when the stream ended before its first piece."""
        sent = False
        with self._post(stream=True) as response:
            if response.headers.get_content_type() != "text/event-stream":  # the server ignored "stream"
                self._deliver(reply_text(response.read(), self.url))
                return True
            try:
                for piece in stream_pieces(response, self.url):
                    if self.cancelled.is_set():
                        return True
                    self.events.put(("piece", piece))
                    sent = True
            except (_StreamCut, http.client.HTTPException, ConnectionError):
                if sent:
                    raise
                return False
        self.events.put(("done", None))
        return True

    def _deliver(self, text: str) -> None:
        if self.stream and text:
            self.events.put(("piece", text))
        self.events.put(("done", text))

    def _transport_error(self, exc: Exception) -> AnswererError:
        reason = exc.reason if isinstance(exc, urllib.error.URLError) else exc
        if isinstance(reason, TimeoutError):
            return _too_slow(self.url, self.limit)
        if isinstance(exc, urllib.error.URLError):
            return AnswererError(f"no answering server at {self.url} ({reason}); {START_HINT}")
        return AnswererError(f"the connection to {self.url} broke off during the reply ({exc!r}); "
                             f"see the server log")


def _too_slow(url: str, limit: float) -> AnswererError:
    return AnswererError(f"{url} did not answer within {limit:g} s; raise --llm-timeout or use a smaller model")


def _seconds(timeout: float) -> float:
    if not isinstance(timeout, (int, float)) or not timeout > 0:
        raise AnswererError(f"the answer timeout must be a positive number of seconds, not {timeout!r}; "
                            f"give e.g. --llm-timeout 30")
    return float(timeout)


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


def _read(exc: urllib.error.HTTPError) -> bytes:
    try:
        return exc.read()
    except (OSError, http.client.HTTPException):
        return b""
