"""Outlet and date read from an article's own lines (rag/docmeta.py) and through ingestion."""
import pytest

from rag.ingest.furniture import is_furniture
from rag.ingest.byline import outlet, read_meta
from rag.ingest.corpus import read_folder


def meta_of(text: str):
    lines = [line.strip() for line in text.split("\n") if line.strip()]
    return read_meta([(line, not is_furniture(line)) for line in lines])


@pytest.mark.parametrize("text, source, date", [
    ("Council backs the bridge\nRIVERTON, 12 March 2024\nThe council voted 7 to 2.", None, "2024-03-12"),
    ("Council backs the bridge\nRIVERTON, 12 March 2024 (Reuters) - The council voted 7 to 2.", "Reuters",
     "2024-03-12"),
    ("Council backs the bridge\nRIVERTON, March 12, 2024 \u2014 The council voted 7 to 2.", None, "2024-03-12"),
    ("Council backs the bridge\nLONDON, March 12 (Reuters) - The council voted.", "Reuters", None),  # no year
    ("MOSCOW (Sputnik) - The Kremlin said on Friday it was calm.", "Sputnik", None),
    ("Council backs the bridge\nBy Jane Doe, Riverton Gazette\nPublished: 3 February 2021\nThe council voted.",
     "Riverton Gazette", "2021-02-03"),
    ("Council backs the bridge\nBy Jane Doe | BBC News\nPosted on April 9th, 2019\nThe council voted.",
     "BBC News", "2019-04-09"),
    ("Council backs the bridge\nBy AFP\nThe council voted.", "AFP", None),
    ("Council backs the bridge\nBy Jane Doe, Senior Correspondent\nThe council voted.", None, None),
    ("Nordic Wire\nGlacier survey finds record length\nThe glacier grew.", "Nordic Wire", None),
    ("Council backs the bridge\nThe council voted.\nSource: Riverton Gazette", "Riverton Gazette", None),
    ("Council backs the bridge\nThe council voted.\n\u00a9 2024 Riverton Gazette. All rights reserved.",
     "Riverton Gazette", None),
    ("Council backs the bridge\nThe council voted.\nReuters contributed to this report.", None, None),
    ("Council backs the bridge\nUpdated 5 May 2022\nPublished 4 May 2022\nThe council voted.", None, "2022-05-04"),
    ("12 March 2024\nCouncil backs the bridge\nThe council voted.", None, "2024-03-12"),
    ("Sunday, April 5, 2020\nLatest News\nCouncil backs the bridge\nThe council voted.", None, None),  # banner
    ("Council backs the bridge\nThe vote on March 12, 2024 was close.", None, None),  # a date in the story
])
def test_source_and_date_from_the_lines(text, source, date):
    found = meta_of(text)
    assert (found.source, found.date) == (source, date)


@pytest.mark.parametrize("name, expected", [("Sputnik News", "Sputnik News"), ("The Riverton Gazette.",
                                            "The Riverton Gazette"), ("Times of India", "Times of India"),
                                           ("Jane Doe", None), ("Senior Correspondent", None), ("AP Photo", None),
                                           ("Stocks Hit Record High Today", None)])
def test_only_names_that_look_like_outlets_count(name, expected):
    assert outlet(name) == expected


def test_ingestion_reads_datelines_and_bylines_and_the_sidecar_wins(tmp_path):
    (tmp_path / "a.txt").write_text("Bridge vote passes\nRIVERTON, 12 March 2024 (Nordic Wire) - The council "
                                    "voted 7 to 2 for the bridge.\n", encoding="utf-8")
    (tmp_path / "b.txt").write_text("Riverton Gazette\nFerry fares rise\nBy Jane Doe, Riverton Gazette\n"
                                    "Fares rose by 5 percent on Monday.\n", encoding="utf-8")
    (tmp_path / "c.txt").write_text("Harbour dredged\nPublished: 3 February 2021\nThe harbour was dredged.\n",
                                    encoding="utf-8")
    (tmp_path / "metadata.json").write_text('{"c.txt": {"source": "Harbour Weekly", "date": "2021-02-04"}}')
    docs = {d.id: d for d in read_folder(tmp_path).documents}
    assert (docs["a"].source, docs["a"].date) == ("Nordic Wire", "2024-03-12")
    assert (docs["b"].source, docs["b"].date, docs["b"].title) == ("Riverton Gazette", None, "Ferry fares rise")
    assert "Riverton Gazette" not in docs["b"].cleaned_text().split("\n")[0]  # the outlet line is not the story
    assert (docs["c"].source, docs["c"].date) == ("Harbour Weekly", "2021-02-04")
