"""AG News's crawl escapes, and how a person should read a title that has them.

One table for two readers: :func:`rnnlab.text.standardize` undoes the escapes inside
every model (TensorFlow, RE2), and :func:`readable` undoes them for titles the pages
show (plain Python, no TensorFlow: the page process never loads it). The patterns are
written so that RE2 and Python's ``re`` read them the same way.
"""
from __future__ import annotations

import re

# (pattern, replacement) in order.
AG_ESCAPES = (
    (r"\\", " "),                      # line breaks in the crawl
    (r"&lt;", "<"),
    (r"&gt;", ">"),
    (r"&amp;", "&"),
    (r"&quot;", '"'),
    (r"<[^<>]{0,400}>", " "),          # HTML tags, once unescaped
    (r" ?#39;", "'"),                  # "America #39;s" was "America's"
    (r"#36;", "$"),
    (r"#151;|#150;", " - "),
    (r"#\d{1,5};", " "),
    (r"\bquot;", " "),
    (r" ?\bamp;", "&"),               # "AT amp;T" was "AT&T"
    (r"\blt;|\bgt;", " "),
)
_COMPILED = tuple((re.compile(pattern), replacement) for pattern, replacement in AG_ESCAPES)


def readable(title: str) -> str:
    """An AG title with its escapes undone and tags dropped; case and punctuation kept."""
    for pattern, replacement in _COMPILED:
        title = pattern.sub(replacement, title)
    return " ".join(title.split())
