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
failed and how to fix it. Reading the replies (whole JSON, server-sent events,
error bodies) is :mod:`rag.answer.chat_replies`; this module makes the calls.

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
import threading
import time
import urllib.error
import urllib.request
from urllib.parse import urlsplit

from rag.answer.chat_replies import EXAMPLE_URL, StreamCut, read_error, reply_text, server_error, stream_pieces
from rag.answer.draft import OnToken
from rag.errors import AnswererError

START_HINT = "start one (e.g. `python -m llama_cpp.server --model FILE`) or drop --llm-url to use the bundled model"
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
            self.events.put(("error", server_error(read_error(exc), self.url, exc.code)))
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
            except (StreamCut, http.client.HTTPException, ConnectionError):
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
