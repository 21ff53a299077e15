"""rag.ui.blocks: inputs Gradio refuses come back as a message the caller can act on (the real server
path is in tests/ui/test_serve.py; here Gradio's own check is replaced by the errors it raises)."""
import asyncio

import gradio as gr
import pytest
from gradio.exceptions import InvalidPathError

from rag.ui.blocks import CheckedBlocks


def refused_with(monkeypatch, error) -> gr.Error:
    async def refuse(self, *args, **kwargs):
        raise error

    monkeypatch.setattr(gr.Blocks, "preprocess_data", refuse)
    with pytest.raises(gr.Error) as caught:
        asyncio.run(CheckedBlocks().preprocess_data(0, [], None))
    return caught.value


def test_a_path_not_uploaded_through_the_page_is_refused_with_the_fix(monkeypatch):
    error = refused_with(monkeypatch, InvalidPathError("/etc/passwd"))
    assert error.message == ("That file was not uploaded through this page, so it is not read (the server never "
                             "opens a path it is sent). Choose the file with the upload box.")
    assert error.print_exception is False


def test_data_of_the_wrong_shape_says_how_to_send_files_and_is_escaped(monkeypatch):
    error = refused_with(monkeypatch, ValueError("expected 3 values, got <2>\nsecond line"))
    assert error.message == ("The data sent does not fit the inputs of this page; upload files with the upload box, "
                             "or with handle_file() of gradio_client (expected 3 values, got &lt;2&gt;).")


def test_good_data_passes_through(monkeypatch):
    async def fine(self, *args, **kwargs):
        return ["checked"]

    monkeypatch.setattr(gr.Blocks, "preprocess_data", fine)
    assert asyncio.run(CheckedBlocks().preprocess_data(0, [], None)) == ["checked"]
