"""The string catalogue: every text the web app shows, per language.

Catalogues are flat JSON objects in ``rnnlab/locales/<lang>.json`` mapping a dotted key
(``"nav.home"``) to a text with optional ``str.format`` fields (``"{count} runs"``).
Every language has every key, with the same format fields (``tests/test_i18n.py`` fails
otherwise). The English fallback in :func:`t` is only a runtime safety net: a key
missing from a catalogue on a running server shows English rather than a key or an
error.
"""
from __future__ import annotations

import functools
import json
import string
from pathlib import Path

from .config import CLASS_NAMES

LOCALES_DIR = Path(__file__).resolve().parent / "locales"
DEFAULT_LANG = "en"
LANGUAGES = {"en": "English", "nb": "Norsk bokmål"}


@functools.lru_cache(maxsize=None)
def catalogue(lang: str) -> dict[str, str]:
    """The strings of one language (empty for an unknown language)."""
    if lang not in LANGUAGES:
        return {}
    path = LOCALES_DIR / f"{lang}.json"
    with open(path, encoding="utf-8") as f:
        data = json.load(f)
    if not isinstance(data, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in data.items()):
        raise ValueError(f"{path}: a catalogue must map string keys to string texts")
    return data


def normalize_lang(lang) -> str:
    """A supported language code, or the default for anything else (e.g. a bad URL value)."""
    return lang if isinstance(lang, str) and lang in LANGUAGES else DEFAULT_LANG


def class_names(lang: str = DEFAULT_LANG) -> list[str]:
    """The four topics' names in ``lang``, in label order."""
    return [t(f"class.{i}", lang) for i in range(len(CLASS_NAMES))]


def has(key: str, lang: str = DEFAULT_LANG) -> bool:
    return key in catalogue(normalize_lang(lang)) or key in catalogue(DEFAULT_LANG)


def t(key: str, lang: str = DEFAULT_LANG, **fmt) -> str:
    """The text for ``key`` in ``lang``, formatted (English if that language lacks it: a safety net only).

    A key missing from English too gives the key itself, so a typo shows up on screen
    rather than crashing a page (``tests/test_i18n.py`` checks that every key used exists).
    Format fields missing from ``fmt`` are left as they are.
    """
    text = catalogue(normalize_lang(lang)).get(key)
    if text is None:
        text = catalogue(DEFAULT_LANG).get(key, key)
    if not fmt:
        return text
    try:
        return text.format_map(_Lenient(fmt))
    except (ValueError, IndexError, AttributeError, KeyError):
        return text


class _Lenient(dict):
    def __missing__(self, key):
        return "{" + key + "}"


def fields_of(text: str) -> set[str]:
    """The format field names in a text (for tests that compare languages)."""
    return {name.split(".")[0].split("[")[0] for _, name, _, _ in string.Formatter().parse(text) if name}


# Number formats per language. Norwegian groups thousands with a (no-break) space, writes
# a decimal comma, and puts a space before the per cent sign: 46 432; 90,2 %.
NBSP = "\u00a0"


def chart_separators(lang: str) -> str:
    """Plotly's ``layout.separators`` for ``lang``: the decimal mark, then the thousands mark."""
    return "," + NBSP if normalize_lang(lang) == "nb" else ".,"


def format_number(x, lang: str = DEFAULT_LANG, digits: int = 0) -> str:
    """A number with thousands grouped and ``digits`` decimals the way ``lang`` writes it
    ("46,432.5" / "46 432,5")."""
    text = f"{x:,.{digits}f}"
    return text.replace(",", NBSP).replace(".", ",") if normalize_lang(lang) == "nb" else text


def format_percent(share, lang: str = DEFAULT_LANG, digits: int = 1) -> str:
    """A share (0.902) as a percentage the way ``lang`` writes it ("90.2%" / "90,2 %")."""
    sign = NBSP + "%" if normalize_lang(lang) == "nb" else "%"
    return format_number(share * 100, lang, digits) + sign
