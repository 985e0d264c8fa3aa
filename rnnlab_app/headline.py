"""The headline box every reading page shares: typed, random from the test set, an example, or fixed by a link."""
from __future__ import annotations

import random

import streamlit as st

from rnnlab.ag_escapes import readable

from . import resources as res

from .ui import class_names, flash, get_param, link_lock, locked, remember, remembered, set_param, tr


EXAMPLES = (
    "Stocks slide as oil prices hit a record high",
    "Federer wins his third Wimbledon title",
    "NASA probe sends back first pictures of Saturn's moon",
    "Rebels seize the capital as talks collapse",
    "Apple unveils a faster iPod with a colour screen",
)


MAX_HEADLINE_CHARS = 20_000


def random_test_headline() -> tuple[str, int] | None:
    ag, _ = res.data()
    if ag is None:
        return None
    i = random.randrange(len(ag.test))
    row = ag.test.iloc[i]
    return readable(str(row["title"])), int(row["label"])     # as a person reads it: no crawl escapes


def headline_input(page: str) -> str:
    """The headline text box with a random-headline button and examples; URL ``headline``.

    The headline is shared between Explore and Compare (one per person).
    """
    key = f"{page}_headline"
    fixed = link_lock().headline if locked("headline") else None
    if fixed is not None:         # the teacher's link fixes it: shown, not editable
        st.session_state[key] = fixed[:MAX_HEADLINE_CHARS + 1]
        st.text_input(tr("headline.label"), key=key, disabled=True, help=tr("lock.headline_help"))
        set_param("headline", fixed[:500])
        return fixed
    if key not in st.session_state:
        from_url = get_param("headline")
        st.session_state[key] = (from_url or remembered("headline", EXAMPLES[0]))[:MAX_HEADLINE_CHARS + 1]

    def use(text: str, label: int | None = None):
        st.session_state[key] = text
        st.session_state["keep.headline_label"] = (text, label)

    def pick_random():
        picked = random_test_headline()
        if picked is None:
            st.session_state["flash"] = ("warning", tr("headline.no_data"))
            return
        use(*picked)

    def pick_example():
        choice = st.session_state.get(f"{page}_example")
        if choice:
            use(choice)
        st.session_state[f"{page}_example"] = None

    st.text_input(tr("headline.label"), key=key, placeholder=tr("headline.placeholder"), help=tr("headline.help"))
    st.button(tr("headline.random"), on_click=pick_random, key=f"{page}_random", icon=":material/casino:")
    st.pills(tr("headline.examples"), EXAMPLES, key=f"{page}_example", on_change=pick_example)
    flash()
    text = st.session_state.get(key, "") or ""
    remember("headline", text)
    set_param("headline", text.strip() and text[:500])
    known = st.session_state.get("keep.headline_label")
    if known and known[0] == text and known[1] is not None:
        st.caption(tr("headline.true_class", cls=class_names()[known[1]]))
    return text
