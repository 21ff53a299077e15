"""rag.text.printable: one line of a terminal, whatever a file name holds."""
import pytest

from rag.text.printable import printable


@pytest.mark.parametrize("text, shown", [
    ("a\nb.txt", "a\\nb.txt"),
    ("caf\udce9.txt", "caf\\udce9.txt"),      # a byte that was not UTF-8
    ("tab\there", "tab\\there"),
    ("zw\u200bsp", "zw\\u200bsp"),            # format character
    ("a\u2028b", "a\\u2028b"),                # line separator
    ("\x1b[31mred", "\\x1b[31mred"),          # a terminal escape cannot colour the log
])
def test_unprintable_characters_are_escaped(text, shown):
    assert printable(text) == shown
    assert printable(text).isprintable()


@pytest.mark.parametrize("text", ["plain.txt", "été 中文.md", "", "with space.html"])
def test_printable_text_is_unchanged(text):
    assert printable(text) == text
