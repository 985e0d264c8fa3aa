"""Property-based tests with random Unicode: cleanup, tokenization and config parsing never crash."""
import json
import re

from hypothesis import HealthCheck, given, settings
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
