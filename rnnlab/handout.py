"""A handout: one headline's reading as one HTML file that opens offline, without Streamlit.

The file holds everything it shows: plotly.js is written into it once (before the first
figure), every later figure reuses it, and nothing is fetched from any server, so a
student can open it from a USB stick in a classroom without internet. Every text the
caller passes in (the headline above all, which anybody typed) is HTML-escaped; the only
markup taken as it is comes from :func:`rnnlab.charts.token_strip_html`, which escapes
every word itself.
"""
from __future__ import annotations

import html
from dataclasses import dataclass
from typing import Any, Sequence

STYLE = """
body { font-family: "Source Sans", "Source Sans Pro", Arial, sans-serif; color: #111; max-width: 1100px;
       margin: 2rem auto; padding: 0 1rem; line-height: 1.45; }
h1 { font-size: 1.9rem; margin-bottom: .3rem; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: .3rem 1rem; }
dt { font-weight: 700; }
dd { margin: 0; white-space: pre-wrap; overflow-wrap: anywhere; }
figure { margin: 1.5rem 0; page-break-inside: avoid; }
figcaption { color: #333; }
footer { margin-top: 2rem; color: #555; font-size: .9rem; }
"""


@dataclass(frozen=True)
class HandoutFigure:
    """One figure of the handout with its heading and its 'what to look for'."""

    title: str
    note: str
    figure: Any                 # a plotly.graph_objects.Figure


@dataclass(frozen=True)
class Handout:
    """What a handout shows, as plain data (texts already in the reader's language)."""

    title: str                                   # the page's heading
    facts: Sequence[tuple[str, str]]             # (label, value): run, headline, prediction, ...
    figures: Sequence[HandoutFigure] = ()
    words_title: str = ""
    words_html: str = ""                         # charts.token_strip_html's chips (escaped there)
    footer: str = ""
    lang: str = "en"


def _figure_html(item: HandoutFigure, first: bool) -> str:
    # plotly.js goes in once, inline, with the first figure; the others find it on the page.
    div = item.figure.to_html(full_html=False, include_plotlyjs=True if first else False,
                              config={"displaylogo": False, "responsive": True})
    note = f"<figcaption>{html.escape(item.note)}</figcaption>" if item.note else ""
    return f"<figure><h2>{html.escape(item.title)}</h2>{div}{note}</figure>"


def build(handout: Handout) -> bytes:
    """The handout as a UTF-8 HTML document."""
    facts = "".join(f"<dt>{html.escape(label)}</dt><dd>{html.escape(value)}</dd>" for label, value in handout.facts)
    words = (f"<section><h2>{html.escape(handout.words_title)}</h2>{handout.words_html}</section>"
             if handout.words_html else "")
    figures = "".join(_figure_html(item, i == 0) for i, item in enumerate(handout.figures))
    footer = f"<footer>{html.escape(handout.footer)}</footer>" if handout.footer else ""
    page = (f'<!DOCTYPE html>\n<html lang="{html.escape(handout.lang, quote=True)}">\n<head>\n'
            f'<meta charset="utf-8">\n<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"<title>{html.escape(handout.title)}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n"
            f"<h1>{html.escape(handout.title)}</h1>\n<dl>{facts}</dl>\n{words}\n{figures}\n{footer}\n</body>\n</html>\n")
    return page.encode("utf-8")
