"""The Search page's facets and timeline through AppTest, on real archives: names and sources as buttons
most counted first that filter the results (and clear on a second click), and a continuous timeline."""

from __future__ import annotations

import io
import json
from datetime import date

import pyarrow as pa
import pytest

from tests.test_app import _page_links, _query, app, fresh, shared_dir  # noqa: F401 - fixtures
from webui.facets import ranked, timeline_counts, toggled, undated_caption

pytestmark = pytest.mark.slow

# Dated articles with gaps: January, March and June 2025 (February, April and May have none).
GAPPED = [
    {"id": "jan", "title": "Harbour pilots strike over pay", "source": "Harbour Gazette", "published_at": "2025-01-10",
     "text": "Harbour pilots in Rotterdam went on strike over pay on Friday, the union said."},
    {"id": "mar", "title": "Harbour strike ends after talks", "source": "Harbour Gazette", "published_at": "2025-03-20",
     "text": "The harbour strike in Rotterdam ended after talks between the union and the port."},
    {"id": "jun", "title": "Harbour traffic back to normal", "source": "Coastal Ledger", "published_at": "2025-06-02",
     "text": "Harbour traffic in Rotterdam was back to normal in June, months after the strike."},
]


def _search(at, query: str):
    next(t for t in at.text_input if t.key != "names").set_value(query).run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    return at


def _facet_buttons(at, kind: str) -> list:
    return [b for b in at.button if (b.key or "").startswith(f"facet-{kind}-")]


def _label_count(button) -> tuple[str, int]:
    name, count = button.label.rsplit(" · ", 1)
    return name.replace("\\", ""), int(count)  # labels are Markdown-escaped


def _result_ids(at) -> list[str]:
    return [_query(link)["article"][:3] for link in _page_links(at) if "article" in _query(link)]


def test_facets_are_sorted_by_count_then_name(app):
    app.run()
    _search(app, "NATO Rutte")
    for kind in ("person", "org", "place"):
        shown = [_label_count(b) for b in _facet_buttons(app, kind)]
        assert shown, kind
        assert shown == sorted(shown, key=lambda nc: (-nc[1], nc[0].casefold())), shown
    people = dict(_label_count(b) for b in _facet_buttons(app, "person"))
    assert people["Mark Rutte"] == 5 and "Rutte" not in people  # the surname is counted as the full name
    assert [_label_count(b)[0] for b in _facet_buttons(app, "person")][0] == "Mark Rutte"


def test_clicking_a_name_filters_the_results_and_a_second_click_clears_it(app):
    app.run()
    _search(app, "NATO Rutte")
    before = _result_ids(app)
    assert len(before) > 1 and "003" in before
    tusk = next(b for b in _facet_buttons(app, "person") if b.label.startswith("Donald Tusk"))
    tusk.click().run()
    assert not app.exception
    assert _result_ids(app) == ["003"]  # only 003 names Donald Tusk
    assert app.text_input(key="names").value == "Donald Tusk" and app.query_params["entity"] == "Donald Tusk"
    chosen = next(b for b in _facet_buttons(app, "person") if b.label.startswith("Donald Tusk"))
    assert chosen.proto.type == "primary"
    chosen.click().run()
    assert app.text_input(key="names").value == "" and _result_ids(app) == before


def _ingest_gapped(at, tmp_path):
    from webui.resources import forget_cached_data, get_archive

    at.run()
    (tmp_path / "gapped.jsonl").write_text("\n".join(json.dumps(r) for r in GAPPED), encoding="utf-8")
    assert get_archive().ingest([str(tmp_path / "gapped.jsonl")]).added == 3
    forget_cached_data()
    return at


def _chart_frames(at) -> list:
    """The data of every bar chart on the page, as pandas frames."""
    frames = []
    for chart in at.get("vega_lite_chart"):
        for dataset in chart.proto.datasets:
            frames.append(pa.ipc.open_stream(io.BytesIO(dataset.data.data)).read_all().to_pandas())
        if chart.proto.data.data:
            frames.append(pa.ipc.open_stream(io.BytesIO(chart.proto.data.data)).read_all().to_pandas())
    return frames


def test_the_timeline_is_continuous_with_empty_months_at_zero_and_counts_the_undated(fresh, tmp_path):
    at = _ingest_gapped(fresh(), tmp_path)
    _search(at, "harbour strike Rotterdam")
    frames = [f for f in _chart_frames(at) if any("month" in str(c) for c in f.columns)]
    assert frames, [list(f.columns) for f in _chart_frames(at)]
    months = {str(v)[:7]: n for v, n in zip(frames[0].filter(like="month").iloc[:, 0], frames[0]["articles"])}
    assert months == {"2025-01": 1, "2025-02": 0, "2025-03": 1, "2025-04": 0, "2025-05": 0, "2025-06": 1}


def test_the_timeline_says_how_many_matches_are_undated(fresh, tmp_path):
    at = _ingest_gapped(fresh(), tmp_path)
    _search(at, "NATO Rutte harbour strike")  # the five undated samples and the dated harbour articles
    captions = [c.value for c in at.caption]
    assert any(c.endswith("undated articles are not on the timeline") for c in captions), captions


@pytest.mark.parametrize(("dates", "step", "expected"), [
    (["2025-01-10", "2025-06-02", "2025-03-20"], "month", [1, 0, 1, 0, 0, 1]),
    (["2025-03-01", "2025-03-04"], "day", [1, 0, 0, 1]),
    (["2025-01-06", "2025-03-20"], "week", [1] + [0] * 9 + [1]),  # Monday 6 January to the week of 17 March
    ([], None, []),
])
def test_timeline_counts_every_bin_between_first_and_last(dates, step, expected):
    series = timeline_counts(dates + [""])
    assert list(series) == expected
    if step:
        assert series.index.name == step and series.index[0].date() <= date.fromisoformat(min(dates))


def test_facet_helpers():
    assert toggled(["Mark Rutte"], "mark rutte") == [] and toggled([], "NATO") == ["NATO"]
    assert ranked({"b": 2, "a": 2, "c": 5}) == [("c", 5), ("a", 2), ("b", 2)]
    assert undated_caption(2) == "2 undated articles are not on the timeline"
    assert undated_caption(1) == "1 undated article is not on the timeline"
