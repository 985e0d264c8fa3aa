"""A teacher's locked link: which controls a link fixes, read from ``?lock=...``.

``lock`` is a short comma list, e.g. ``lock=run,headline,lang,train``:

- ``run``: the run (Explore) or runs (Compare) are the link's, without a picker;
- ``headline``: the headline box shows the link's headline and cannot be edited;
- ``lang``: the language switch is hidden (the link's language stays);
- ``train``: nothing can be trained from this session, on any page.

No Streamlit here: the page side is ``rnnlab_app/locks.py``.
"""
from __future__ import annotations

from dataclasses import dataclass

ITEMS = ("run", "headline", "lang", "train")
MAX_SHOWN = 5                      # unknown items named in the warning, at most


@dataclass(frozen=True)
class LockList:
    """What a ``lock`` value asks for: the known items, and the unknown ones (to name them)."""

    items: frozenset[str]
    unknown: tuple[str, ...] = ()


def parse_locks(value: str | None) -> LockList:
    """Read a ``lock`` URL value; case and spaces do not matter, repeats count once, and
    items it does not know are kept aside (shortened) to be named in a warning."""
    known, unknown = set(), []
    for raw in str(value or "")[:500].split(","):
        item = raw.strip().lower()
        if not item:
            continue
        if item in ITEMS:
            known.add(item)
        elif len(unknown) < MAX_SHOWN and item[:30] not in unknown:
            unknown.append(item[:30])
    return LockList(frozenset(known), tuple(unknown))


def format_locks(items) -> str:
    """The ``lock`` value for ``items`` (unknown ones dropped), in a fixed order."""
    return ",".join(item for item in ITEMS if item in set(items))


@dataclass(frozen=True)
class Lock:
    """A session's lock: the items, and the values the link fixed (taken from its URL)."""

    items: frozenset[str] = frozenset()
    run: str | None = None                 # Explore's run (``run``)
    runs: tuple[str, ...] = ()             # Compare's runs (``runs``)
    headline: str | None = None

    def __contains__(self, item: str) -> bool:
        return item in self.items

    @classmethod
    def from_query(cls, query) -> tuple["Lock", tuple[str, ...]]:
        """The lock a link's URL parameters (a mapping of str to str) ask for, and the
        unknown items of its ``lock`` value."""
        asked = parse_locks(query.get("lock"))

        def text(name: str) -> str | None:
            value = query.get(name)
            return value if isinstance(value, str) and value.strip() else None

        runs = tuple(r.strip() for r in (text("runs") or "").split(",") if r.strip())
        return cls(asked.items, text("run"), runs, text("headline")), asked.unknown
