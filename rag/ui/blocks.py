"""The page's Blocks, with input checks that end in a message the user can act on.

Gradio checks a request's inputs before any handler of ours runs: it refuses a
file that was not uploaded through the page (a path on the server, such as
``/etc/passwd``: nothing is read) and data of the wrong shape. With
``show_error=False`` the caller would then see an empty error; here it gets a
short message saying what to do. Only an API caller can get here (the page
always uploads), so a plain ``gr.Error`` is right.

Example:
    >>> with CheckedBlocks() as demo:                      # doctest: +SKIP
    ...     gr.File()
"""
from __future__ import annotations

import gradio as gr
from gradio.exceptions import InvalidPathError
from pydantic import ValidationError

from rag.ui.render import esc


class CheckedBlocks(gr.Blocks):
    """gr.Blocks whose refused inputs come back as a message, not an empty error."""

    async def preprocess_data(self, *args, **kwargs):
        try:
            return await super().preprocess_data(*args, **kwargs)
        except InvalidPathError:
            raise _refusal("That file was not uploaded through this page, so it is not read (the server never "
                           "opens a path it is sent). Choose the file with the upload box.") from None
        except (ValidationError, ValueError) as exc:  # too few values, a file given as a bare string...
            raise _refusal("The data sent does not fit the inputs of this page; upload files with the upload "
                           f"box, or with handle_file() of gradio_client ({str(exc).splitlines()[0][:160]}).") \
                from None


def _refusal(message: str) -> gr.Error:
    return gr.Error(esc(message), print_exception=False)
