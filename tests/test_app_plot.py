"""rnnlab_app.plot: what every chart goes through on every rerun."""
import gc

import plotly.graph_objects as go

from rnnlab import charts
from rnnlab.i18n import chart_separators
from rnnlab_app import plot

NB = chart_separators("nb")


def test_a_shared_figure_is_copied_into_a_language_once_and_forgotten_with_it(monkeypatch):
    """Cached figures are redrawn on every rerun: the Norwegian copy is made once, not per rerun."""
    copies = []
    real = charts.in_language
    monkeypatch.setattr(charts, "in_language", lambda fig, separators: copies.append(fig) or real(fig, separators))
    fig = go.Figure(go.Heatmap(z=[[0.25, 0.5], [0.75, 1.0]]))
    first, again = plot.in_language(fig, NB), plot.in_language(fig, NB)
    assert first is again and len(copies) == 1
    assert first.layout.separators == NB and fig.layout.separators is None    # the shared figure is left alone
    key = (id(fig), NB)
    copies.clear()
    del fig, first, again
    gc.collect()
    assert key not in plot._localized
