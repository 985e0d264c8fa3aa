"""rnnlab.i18n: the string catalogue."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from rnnlab import i18n
from rnnlab.cells import CELLS, INTERNAL_KIND
from rnnlab.data import SOURCE_KINDS
from rnnlab.i18n import LANGUAGES, LOCALES_DIR, catalogue, fields_of, t

ROOT = Path(__file__).resolve().parents[1]
SOURCES = [ROOT / "app.py", *sorted((ROOT / "app_pages").glob("*.py")), *sorted((ROOT / "rnnlab_app").glob("*.py"))]
LITERAL = re.compile(r"""\btr\(\s*f?(["'])([^"'{}]+)\1""")
DYNAMIC = {  # keys built at run time: prefix -> the values that complete them
    "class.": ["0", "1", "2", "3"],
    "direction.": ["forward", "backward"],
    "field.text.": ["title", "title_description"],
    "field.embeddings.": ["learned", "glove", "glove_trainable"],
    "explore.source.": ["trained", "pretrained", "unknown"],
    "state.": ["queued", "running", "finished", "stopped", "discarded", "failed", "reused"],
    "attr.": ["occlusion", "integrated_gradients"],
    "note.attr.": ["occlusion", "integrated_gradients"],
    "internal.": list(INTERNAL_KIND),
    "note.internal.": list(INTERNAL_KIND),
    "explore.gates.": [spec.name for spec in CELLS.values() if len(spec.gates) > 1],
    "explore.neuron_": ["top", "bottom"],
    "compare.pair.": ["masking", "cell", "depth", "masking.note", "cell.note", "depth.note"],
    "data.split.": ["train", "validation", "test"],
    "data.source.": list(SOURCE_KINDS),
    "runs.col.": ["run", "model", "cell", "units", "layers", "bidirectional", "masking", "text", "train_size",
                  "epochs", "batch_size", "bucketing", "learning_rate", "test_accuracy", "titles_accuracy",
                  "headlines_accuracy", "train_seconds", "stopped_early", "damaged"],
    "train.": ["finished", "stopped_kept", "reused"],
    "lesson.": [f"{section}.{part}" for section in ("simple-rnn", "masking", "lstm", "bilstm")
                for part in ("title", "body", "question")],
}
# Texts that are the same word in both languages (names, units, loanwords teachers use).
SAME_IN_BOTH = {"data.split.test", "eval.f1", "eval.seconds", "explore.internal_title", "field.bucketing",
                "home.data", "home.status", "home.title", "nav.data", "runs.col.bucketing",
                "runs.col.damaged"}


def used_keys() -> set[str]:
    keys = set()
    for path in SOURCES:
        for _, key in LITERAL.findall(path.read_text(encoding="utf-8")):
            if "." in key and " " not in key:
                keys.add(key)
    for prefix, rest in DYNAMIC.items():
        keys |= {prefix + r for r in rest}
    from rnnlab.config import PRESETS, RunConfig
    from dataclasses import fields
    keys |= {f"preset.{name}.{part}" for name in PRESETS for part in ("name", "desc")}
    keys |= {f"field.{f.name}" for f in fields(RunConfig)}
    return keys


def test_every_key_the_app_uses_exists_in_english():
    missing = sorted(k for k in used_keys() if k not in catalogue("en"))
    assert not missing, f"keys missing from rnnlab/locales/en.json: {missing}"


def test_catalogues_are_flat_string_maps():
    for lang in LANGUAGES:
        data = json.loads((i18n.LOCALES_DIR / f"{lang}.json").read_text(encoding="utf-8"))
        assert data and all(isinstance(k, str) and isinstance(v, str) and v.strip() for k, v in data.items())


def test_norwegian_covers_the_navigation_and_language_switch():
    nb = catalogue("nb")
    for key in ("nav.home", "nav.lesson", "nav.train", "nav.explore", "nav.compare", "nav.data", "sidebar.language"):
        assert key in nb, key
    assert nb["nav.home"] == "Hjem" and nb["sidebar.language"] == "Språk"


@pytest.mark.parametrize("lang", [lang for lang in LANGUAGES if lang != "en"])
def test_every_language_has_exactly_the_english_keys(lang):
    en, other = set(catalogue("en")), set(catalogue(lang))
    assert not sorted(en - other), f"keys missing from rnnlab/locales/{lang}.json: {sorted(en - other)}"
    assert not sorted(other - en), f"keys in rnnlab/locales/{lang}.json that English lacks: {sorted(other - en)}"


def test_every_key_the_app_uses_exists_in_every_language():
    for lang in LANGUAGES:
        missing = sorted(k for k in used_keys() if k not in catalogue(lang))
        assert not missing, f"keys missing from rnnlab/locales/{lang}.json: {missing}"


def test_translations_keep_the_format_fields():
    en = catalogue("en")
    for lang in LANGUAGES:
        for key, text in catalogue(lang).items():
            assert key in en, f"{lang}: {key} is not an English key"
            assert fields_of(text) == fields_of(en[key]), f"{lang}: {key} changes the format fields"
            assert text.count("$") == en[key].count("$"), f"{lang}: {key} changes the LaTeX ($...$)"
            assert text.count("`") == en[key].count("`"), f"{lang}: {key} changes the code spans"


def test_norwegian_is_translated_not_copied():
    en, nb = catalogue("en"), catalogue("nb")
    copied = sorted(k for k in en if nb.get(k) == en[k] and k not in SAME_IN_BOTH)
    assert not copied, f"nb.json has English text for: {copied}"


def test_norwegian_uses_the_teachers_terms():
    nb = catalogue("nb")
    assert "skjult tilstand" in nb["lesson.what_body"]
    assert "utfylling (padding)" in nb["lesson.masking.body"] and "Maskering" in nb["lesson.masking.body"]
    assert "glemmeporten" in nb["lesson.lstm.body"] and nb["internal.forget_gate"] == "Glemmeport"


def test_format_placeholders_are_detected():
    # the checks above rely on fields_of seeing every placeholder, LaTeX braces included
    assert fields_of("{n} of {total}") == {"n", "total"}
    assert fields_of("$S_{t+1}$ after {cls}") == {"t+1", "cls"}
    assert fields_of("no fields") == set()


def test_fallbacks():
    assert t("nav.home", "nb") == "Hjem"
    assert t("train.intro", "nb") != t("train.intro", "en")        # translated
    assert t("nav.home", "xx") == "Home"                            # unknown language: English
    assert t("no.such.key") == "no.such.key"                        # a typo shows, never crashes
    assert t("explore.unit", n=7) == "Unit (0 to 7)"
    assert "{layer}" in t("explore.hidden_title")                    # missing format values stay visible
    assert i18n.normalize_lang(None) == "en" and i18n.normalize_lang("nb") == "nb"


@pytest.mark.parametrize("lang", sorted(path.stem for path in LOCALES_DIR.glob("*.json")))
def test_every_language_has_a_name(lang):
    """Every catalogue in the locales folder is offered in the sidebar under a display name."""
    name = LANGUAGES.get(lang)
    assert isinstance(name, str) and name.strip() and name != lang, f"{lang}.json has no display name in LANGUAGES"


def test_numbers_are_written_the_way_each_language_writes_them():
    from rnnlab.i18n import NBSP, format_number, format_percent
    assert format_number(46432) == "46,432" and format_number(46432, "nb") == f"46{NBSP}432"
    assert format_number(1234567, "nb") == f"1{NBSP}234{NBSP}567"
    assert format_number(0.5321, "nb", 3) == "0,532" and format_number(0.5321, "en", 3) == "0.532"
    assert format_percent(0.9021) == "90.2%" and format_percent(0.9021, "nb") == f"90,2{NBSP}%"
    assert format_percent(0.25, "nb", 0) == f"25{NBSP}%" and format_percent(0.25, "xx", 0) == "25%"


def test_tables_write_numbers_the_persons_way_and_keep_them_sortable(monkeypatch):
    import pandas as pd
    import streamlit as st

    from rnnlab_app import ui
    frame = pd.DataFrame({"acc": [0.9021, None], "rows": [46432, 7600], "s": [14.94, 3.0]})
    for lang, expected in (("en", ["90.2%", "46,432", "14.9 s", "–"]),
                           ("nb", ["90,2\u00a0%", "46\u00a0432", "14,9 s", "–"])):
        monkeypatch.setattr(st, "session_state", {"lang": lang})
        styled = ui.number_table(frame, percent={"acc": 1}, decimals={"rows": 0, "s": 1}, suffix={"s": " s"})
        text = styled.to_string()
        assert all(e in text for e in expected), (lang, text)
        assert styled.data["acc"].iloc[0] == 0.9021          # the values stay numbers: sorting by value
