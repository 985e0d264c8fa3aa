"""Plotly figures for the web app: pure functions from numbers to figures, no Streamlit.

Every chart shares one look that reads on a projector (large fonts, few lines, no
clutter) and one colour per class (:data:`CLASS_COLORS`, the Okabe-Ito palette, safe
for colour-blind viewers). Hidden and cell states use a diverging scale centred on 0
(blue negative, white 0, red positive); gates, which live between 0 and 1, use a
sequential scale from 0 to 1.

Texts on the charts (titles, axis names, class names) are passed in by the caller, so
the app can translate them; the defaults are English.
"""
from .style import (
    ACCENT, CLASS_COLORS, FONT_FAMILY, FONT_SIZE, GATE_SCALE, PROJECTOR_MIN_FONT, PROJECTOR_SCALE,
    STATE_SCALE, TITLE_SIZE, class_color, esc, for_projector, in_language, style)
from .training import clicked_cell, confusion_matrix, probability_bars, training_curves
from .reading import prefix_probabilities, projection_path, readable_scale, state_change, state_heatmap
from .data import (
    class_balance, length_histogram, padding_comparison, padding_demo, padding_drift_compare,
    padding_side_by_side)
from .words import attribution_colors, memory_dependence, token_strip_html
from .linked import SELECTED_SHAPE, mark_step, pinned_comparison, step_by_step

__all__ = [
    "ACCENT", "CLASS_COLORS", "FONT_FAMILY", "FONT_SIZE", "GATE_SCALE", "PROJECTOR_MIN_FONT",
    "PROJECTOR_SCALE", "STATE_SCALE", "TITLE_SIZE", "class_color", "esc", "for_projector", "in_language", "style",
    "clicked_cell", "confusion_matrix", "probability_bars", "training_curves", "prefix_probabilities", "projection_path",
    "readable_scale", "state_change", "state_heatmap", "class_balance", "length_histogram", "padding_comparison",
    "padding_demo", "padding_drift_compare", "padding_side_by_side", "attribution_colors",
    "memory_dependence", "token_strip_html", "SELECTED_SHAPE", "mark_step", "pinned_comparison", "step_by_step"
]
