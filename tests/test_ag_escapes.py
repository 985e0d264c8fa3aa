"""AG titles as people read them: the crawl's escapes undone, and the model reads the
readable title exactly as it reads the raw one."""
import pytest

from rnnlab.ag_escapes import readable

RAW = [
    ("Eriksson doesn #39;t feel any extra pressure following scandal",
     "Eriksson doesn't feel any extra pressure following scandal"),
    ("Mills Grabs #36;1B Portfolio; Taubman Likely to Lose Contracts",
     "Mills Grabs $1B Portfolio; Taubman Likely to Lose Contracts"),
    ("AT amp;T to cut  quot;thousands quot; of jobs\\", "AT&T to cut thousands of jobs"),
    ("&lt;b&gt;Stocks&lt;/b&gt; up", "Stocks up"),
]


@pytest.mark.parametrize("raw, expected", RAW)
def test_readable_undoes_the_crawl_escapes(raw, expected):
    assert readable(raw) == expected


def test_the_model_reads_every_readable_test_title_as_the_raw_one():
    """The neighbours panel shows (and opens) readable titles: the same tokens must come out."""
    from rnnlab.data import load_ag_news
    from rnnlab.text import standardize

    titles = load_ag_news().test["title"].tolist()
    raw = standardize(titles).numpy()
    shown = standardize([readable(t) for t in titles]).numpy()
    assert sum(a != b for a, b in zip(raw, shown)) == 0
    assert sum("#39;" in t for t in titles) > 0        # the data does hold escapes to undo
