"""Property-based tests with random Unicode: cleanup, tokenization, config parsing and the trace engine never crash."""
import json
import re

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from rnnlab.config import ConfigError, RunConfig
from rnnlab.text import clean_text, tokenize

FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(st.text(max_size=300))
def test_cleanup_is_total_and_normalised(text):
    cleaned = clean_text(text)
    assert cleaned == cleaned.strip()
    assert "  " not in cleaned and not re.search(r"[\x00-\x1f\x7f]", cleaned)
    assert not re.search(r"[!\"#$%&'()*+,.:;<=>?@\[\]^`{|}~/_-]", cleaned)
    assert clean_text(cleaned) == cleaned, "cleanup must be idempotent"
    tokens = tokenize(text)
    assert all(tokens) and " ".join(tokens) == cleaned


@FAST
@given(st.lists(st.text(alphabet=st.characters(codec="utf-8"), min_size=1, max_size=12), max_size=8))
def test_tokens_never_contain_whitespace(words):
    for token in tokenize(" ".join(words)):
        assert not any(ch.isspace() for ch in token)


_VALUES = st.one_of(st.none(), st.booleans(), st.integers(-10**6, 10**6), st.floats(allow_nan=True),
                    st.text(max_size=20), st.lists(st.integers(), max_size=3))


@FAST
@example({"cell": []}).via("found by CI: a list for a choice field raised TypeError")
@example({"text": {"a": 1}, "embeddings": None})
@given(st.dictionaries(st.sampled_from(sorted(RunConfig().to_dict()) + ["bogus", ""]), _VALUES, max_size=6))
def test_config_parsing_either_validates_or_names_the_problem(data):
    try:
        config = RunConfig.from_json(json.dumps(data))
    except ConfigError as exc:
        assert str(exc)
        return
    except ValueError:   # json.dumps of NaN is fine; any other ValueError would be a bug
        raise
    assert RunConfig.from_json(config.to_json()) == config


# -- the trace engine on random Unicode ----------------------------------------------------

_PIECES = st.sampled_from(["<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "[a](javascript:x)", "$x$",
                           "\x00", "\u202e", "\u200b", "e\u0301", "😀", "中国", "النفط", "øker", "#39;", " quot;",
                           "&lt;b&gt;", "--", "stocks", "oil", "prices", "   ", "\n", "'; DROP TABLE runs; --"])
_RANDOM_TEXT = st.one_of(
    st.text(max_size=200),
    st.text(alphabet=st.characters(exclude_categories=()), max_size=80),          # lone surrogates too
    st.lists(st.one_of(_PIECES, st.text(max_size=12)), max_size=40).map(" ".join),
)


@pytest.fixture(scope="module")
def tracer(make_run):
    from rnnlab.analysis.trace import Tracer
    return Tracer(make_run(cell="lstm", bidirectional=True))


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                 HealthCheck.function_scoped_fixture])
@given(text=_RANDOM_TEXT)
def test_trace_gives_a_trace_or_an_input_error(tracer, text):
    import numpy as np

    from rnnlab.errors import InputError
    try:
        trace = tracer.trace(text)
    except InputError as exc:
        assert str(exc) and "\n" not in str(exc)
        return
    n = len(trace.tokens)
    assert 1 <= n <= trace.max_length
    assert abs(float(trace.probabilities.sum()) - 1.0) < 1e-4
    assert trace.prefix_probabilities.shape == (n, 4) and np.isfinite(trace.prefix_probabilities).all()
    assert all(v.shape == (n,) and np.isfinite(v).all() for v in trace.attributions.values())
    assert all(layer.hidden.shape[0] == n for layer in trace.layers)
    tokens = tokenize(text)
    assert [t.token for t in trace.tokens] == (tokens[:trace.max_length] or ["[UNK]"])
    json.dumps(trace.to_dict(), allow_nan=False)
