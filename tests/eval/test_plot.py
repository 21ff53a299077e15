"""eval.plot: the report's bar chart is a real PNG, and no chart without question kinds."""
from eval.plot import plot_by_kind

KINDS = {"number": {"n": 12, "accuracy": 0.75, "f1": 0.8, "citation_precision": 0.9, "recall@5": 1.0},
         "person": {"n": 3, "accuracy": 0.0, "f1": None, "citation_precision": None, "recall@5": 0.5}}


def test_a_png_is_written_and_its_path_returned(tmp_path):
    path = tmp_path / "by_kind.png"
    assert plot_by_kind({"by_kind": KINDS}, path, title="rules") == path
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    assert (width, height) == (660, 462)  # 6.0 x 4.2 inches at 110 dpi: two kinds keep the minimum width


def test_more_kinds_make_a_wider_chart(tmp_path):
    many = {f"kind{i}": KINDS["number"] for i in range(8)}
    path = plot_by_kind({"by_kind": many}, tmp_path / "wide.png")
    assert int.from_bytes(path.read_bytes()[16:20], "big") == round((1.1 * 8 + 2) * 110)


def test_no_kinds_no_chart(tmp_path):
    assert plot_by_kind({"by_kind": {}}, tmp_path / "none.png") is None
    assert not (tmp_path / "none.png").exists()
