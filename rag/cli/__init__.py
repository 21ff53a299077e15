"""The ``rag`` command line: ``index``, ``search``, ``docs`` (rag.cli.commands), ``ask`` (rag.cli.ask),
``serve`` (rag.ui.serve) and ``eval`` (eval.run). The console script and ``python -m rag.cli`` enter at ``main``.

    >>> from rag.cli import main    # doctest: +SKIP
    >>> main(["docs"])              # doctest: +SKIP
"""
from rag.cli.commands import main

__all__ = ["main"]
