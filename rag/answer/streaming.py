"""A call that reports text as it goes, turned into a stream: its pieces as they come, then its result.

The call runs in a worker thread and hands each piece to ``on_token``; the caller's thread
yields them in order, then the call's return value, and re-raises whatever the call raised.
:meth:`rag.answer.assistant.Assistant.ask_stream` is ``stream`` over ``ask_traced``.

Example:
    >>> def count(on_token):
    ...     for word in ("one ", "two "):
    ...         on_token(word)
    ...     return "done"
    >>> list(stream(count))
    ['one ', 'two ', 'done']
"""
from __future__ import annotations

import queue
import threading
from typing import Callable, Iterator, TypeVar

T = TypeVar("T")


def stream(call: Callable[[Callable[[str], None]], T]) -> Iterator[str | T]:
    """Run ``call(on_token)`` in a thread; yield each piece it reports, then its result."""
    pieces: queue.Queue = queue.Queue()
    done = object()

    def work():
        try:
            pieces.put(call(pieces.put))
        except BaseException as exc:  # re-raised in the caller's thread
            pieces.put(exc)
        finally:
            pieces.put(done)

    threading.Thread(target=work, daemon=True).start()
    while (item := pieces.get()) is not done:
        if isinstance(item, BaseException):
            raise item
        yield item
