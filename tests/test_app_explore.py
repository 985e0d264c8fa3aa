"""AppTest: the Explore page — one run reads one headline."""
from __future__ import annotations

import pytest

from rnnlab_app import resources
from app_testing import all_text, chart_types, charts, open_page
from rnnlab_app.headline import EXAMPLES

HEADLINE = "Federer wins his third Wimbledon title"


def show(at, panel: str):
    """Open one of Explore's panels, as a click on the panel selector does."""
    return at.button_group(key="explore_panel").set_value(panel).run()


def test_explore_a_headline(runs):
    gru, _ = runs
    at = open_page("explore", {"run": gru.run_id, "headline": HEADLINE})
    assert not at.exception
    assert at.selectbox(key="explore_run").value == gru.run_id
    assert at.text_input(key="explore_headline").value == HEADLINE
    predicted = next(m for m in at.metric if m.label == "Predicted topic")
    assert predicted.value in ("World", "Sports", "Business", "Sci/Tech")
    assert chart_types(at).count("bar") == 2               # probabilities and state change; no heatmap yet
    assert "heatmap" not in chart_types(at)                # panels not shown are not built
    strip = at.html[0].value
    assert "federer" in strip.lower() and "wimbledon" in strip.lower()
    text = all_text(at)
    for note in ("Each point is what the network would answer", "A tall bar means this word moved"):
        assert note in text                                # every chart says what to look for
    show(at, "inside")
    assert chart_types(at).count("heatmap") == 2           # hidden state and one gate
    assert "Each column is the state after reading" in all_text(at)
    assert any(r"8\times8" in l.value for l in at.latex)  # the recurrence with this run's shapes
    assert at.query_params["panel"] == "inside"
    show(at, "path")
    assert "this map squeezes it" in all_text(at)
    show(at, "padding")
    assert "padding" in all_text(at)
    show(at, "downloads")
    assert len(at.get("download_button")) == 5             # trace CSV + JSON, handout, model, config
    assert at.query_params["run"] == gru.run_id and at.query_params["headline"] == HEADLINE


def test_norwegian_figures_are_built_with_their_separators_not_copied_per_rerun(runs, monkeypatch):
    """Shared figures used to be copied on every rerun of every Norwegian session to set
    Plotly's separators (a heatmap ~9 ms): they now carry them from when they are built."""
    from rnnlab import charts as chart_module
    copies = []
    real = chart_module.in_language
    monkeypatch.setattr(chart_module, "in_language", lambda fig, separators: copies.append(1) or real(fig, separators))
    for _ in range(2):                                   # built, then drawn from the cache
        at = open_page("explore", {"run": runs[0].run_id, "headline": HEADLINE, "panel": "inside", "lang": "nb"})
        assert not at.exception
    figures = charts(at)
    assert len(figures) >= 3 and all(fig["layout"].get("separators") == ",\u00a0" for fig in figures)
    assert copies == []
    english = charts(open_page("explore", {"run": runs[0].run_id, "headline": HEADLINE, "panel": "inside"}))
    assert english and all("separators" not in fig["layout"] for fig in english)   # the cache keeps both


def test_a_link_opens_a_panel(runs):
    at = open_page("explore", {"run": runs[0].run_id, "headline": HEADLINE, "panel": "inside"})
    assert not at.exception and chart_types(at).count("heatmap") == 2
    at = open_page("explore", {"run": runs[0].run_id, "headline": HEADLINE, "panel": "<nonsense>"})
    assert not at.exception and at.button_group(key="explore_panel").value == "reading"


def test_hover_names_unit_token_and_value(runs):
    at = open_page("explore", {"run": runs[0].run_id, "headline": HEADLINE, "panel": "inside"})
    heatmap = next(t for fig in charts(at) for t in fig["data"] if t["type"] == "heatmap")
    assert "Unit" in heatmap["hovertemplate"] and "Word" in heatmap["hovertemplate"]
    assert "Value" in heatmap["hovertemplate"]
    assert heatmap["zmid"] == 0 and heatmap["zmin"] == -heatmap["zmax"]


def test_typed_text_is_never_html_or_markdown(runs):
    typed = "Federer beats <b>Nadal</b> in [Paris](http://evil.example)"
    at = open_page("explore", {"run": runs[0].run_id, "headline": typed})
    assert not at.exception
    strip = at.html[0].value
    assert "&lt;b&gt;Nadal&lt;/b&gt;" in strip                # the typed word, escaped
    assert "<b>" not in strip and "<img" not in strip and "<a " not in strip
    ticks = [t for fig in charts(at) for axis in ("xaxis", "xaxis2")
             for t in fig.get("layout", {}).get(axis, {}).get("ticktext") or []]
    assert ticks and "&lt;b&gt;Nadal&lt;/b&gt;" in ticks    # Plotly renders <b>: escaped there too
    assert not any("<b>" in t for t in ticks)
    hovers = [str(t.get("customdata")) for fig in charts(at) for t in fig["data"]]
    assert not any("<b>Nadal" in h for h in hovers)
    # The cleaned text is shown with st.text (never Markdown).
    assert any("federer beats nadal" in t.value for t in at.text)


def test_a_new_headline_builds_no_model_and_retraces_nothing(runs):
    gru, _ = runs
    at = open_page("explore", {"run": gru.run_id, "headline": HEADLINE})
    root, run_id = resources.run_key(gru.run_id)[:2]
    loads = resources.call("loads", root, run_id)
    counts = resources.tracing_counts(gru.run_id)
    assert loads >= 1 and counts and all(v == 1 for v in counts.values())   # loaded and compiled, once
    at.text_input(key="explore_headline").input("Oil prices climb as stocks slide").run()
    assert not at.exception
    at.text_input(key="explore_headline").input("A third, completely different headline about Mars").run()
    assert not at.exception
    assert resources.call("loads", root, run_id) == loads      # no model loaded again
    assert resources.tracing_counts(gru.run_id) == counts       # no tf.function retraced


def test_lstm_gates_and_the_neuron_view(runs):
    _, lstm = runs
    at = open_page("explore", {"run": lstm.run_id, "headline": HEADLINE, "panel": "inside"})
    assert at.button_group(key="explore_internal").value == "cell"
    at.button_group(key="explore_internal").set_value("forget_gate").run()
    heatmaps = [t for fig in charts(at) for t in fig["data"] if t["type"] == "heatmap"]
    assert heatmaps[1]["zmin"] == 0 and heatmaps[1]["zmax"] == 1   # gates: 0..1 scale
    titles = [fig["layout"]["title"]["text"] for fig in charts(at) if fig["layout"].get("title")]
    assert any(t.startswith("Forget gate") for t in titles)
    show(at, "neurons")
    unit_key = f"explore_unit|{lstm.run_id}|rnn_1|forward"
    at.number_input(key=unit_key).set_value(3).run()
    assert not at.exception
    tables = [d.value for d in at.dataframe if "Words around it" in d.value.columns]
    assert len(tables) == 2 and all(len(t) for t in tables)
    assert any("«" in c for c in tables[0]["Words around it"])


def test_random_and_example_headlines(runs):
    at = open_page("explore", {"run": runs[0].run_id})
    assert at.text_input(key="explore_headline").value      # starts with an example
    at.button(key="explore_random").click().run()
    assert not at.exception
    assert any("true topic is" in c.value for c in at.caption)
    at.pills(key="explore_example").set_value(EXAMPLES[2]).run()
    assert at.text_input(key="explore_headline").value == EXAMPLES[2]


@pytest.mark.parametrize("bad", ["no-such-run-1", "../../etc/passwd", "<script>alert(1)</script>"])
def test_a_bad_run_in_the_url_gives_a_message(runs, bad):
    at = open_page("explore", {"run": bad, "headline": HEADLINE})
    assert not at.exception
    assert any("is not on this server" in w.value or "cannot exist" in w.value for w in at.warning)
    assert "<script>" not in "".join(w.value for w in at.warning)
    assert at.selectbox(key="explore_run").value != bad    # another run is shown
    assert any(m.label == "Predicted topic" for m in at.metric)


@pytest.mark.parametrize("text, message", [("   ", "Type a headline"), ("x " * 10_001, "cannot be read")])
def test_empty_or_too_long_headlines(runs, text, message):
    at = open_page("explore", {"run": runs[0].run_id, "headline": text})
    assert not at.exception
    assert message in all_text(at)
    assert not any(m.label == "Predicted topic" for m in at.metric)


def test_the_word_strip_marks_where_a_glove_run_knows_each_word(make_run, run_store, tmp_path, monkeypatch):
    """Trained words, words known only from GloVe and [UNK] each get their mark and a legend entry."""
    import json
    import shutil

    from rnnlab.runs import RunStore
    run = make_run(embeddings="glove", embed_dim=50)
    vocabulary = run.model.get_layer("vectorizer").get_vocabulary()
    trained = run.metrics["vocabulary_trained_words"]
    headline = f"{vocabulary[5]} {vocabulary[trained + 3]} zzqxnotaword"
    monkeypatch.setenv("RNNLAB_RUNS_DIR", str(run_store.root))
    at = open_page("explore", {"run": run.run_id, "headline": headline})
    assert not at.exception
    strip = at.html[0].value
    assert [strip.count(f'data-source="{s}"') for s in ("trained", "pretrained", "unknown")] == [1, 1, 1]
    assert "● known from the training texts · ○ known only from the pretrained GloVe vectors" in all_text(at)
    at = open_page("explore", {"run": run.run_id, "headline": headline, "lang": "nb"})
    assert "○ kjent bare fra de forhåndstrente GloVe-vektorene" in all_text(at)

    # The same run saved before training recorded its words: no marks, no legend, no error.
    old = RunStore(tmp_path / "old")
    old.root.mkdir()
    shutil.copytree(run.path, old.root / run.run_id)
    metrics = {k: v for k, v in run.metrics.items() if k != "vocabulary_trained_words"}
    (old.root / run.run_id / "metrics.json").write_text(json.dumps(metrics))
    monkeypatch.setenv("RNNLAB_RUNS_DIR", str(old.root))
    at = open_page("explore", {"run": run.run_id, "headline": headline})
    assert not at.exception
    assert "data-source" not in at.html[0].value and "known from the training texts" not in all_text(at)


def test_the_training_replay_moves_through_the_snapshots(runs):
    gru, _ = runs
    at = open_page("explore", {"run": gru.run_id, "headline": HEADLINE, "panel": "replay"})
    assert not at.exception
    slider = at.select_slider(key="explore_replay")
    assert slider.value == len(slider.options) - 1 and slider.options[-1] == "all of training"
    assert slider.options[0] == "after 1/13"
    end = [h.value for h in at.html]
    assert chart_types(at).count("heatmap") == 1 and "At this point it reads the headline as" in all_text(at)
    at = slider.set_value(0).run()
    assert not at.exception and [h.value for h in at.html] != end     # the word strip of the first snapshot


def test_a_run_without_snapshots_opens_with_the_replay_hidden(runs, tmp_path, monkeypatch):
    import shutil

    from rnnlab.snapshots import FILE

    older = tmp_path / "older-run"            # a run trained before snapshots were kept
    shutil.copytree(runs[0].path, older)
    (older / FILE).unlink()
    monkeypatch.setenv("RNNLAB_RUNS_DIR", str(tmp_path))
    at = open_page("explore", {"run": older.name, "headline": HEADLINE, "panel": "replay"})
    assert not at.exception
    assert not at.select_slider and not [b for b in at.button if b.key == "explore_replay.play"]
    assert "kept no snapshots of its training" in all_text(at)
    assert next(m for m in at.metric if m.label == "Predicted topic").value    # the rest of the page works
