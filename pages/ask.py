"""Ask page: a conversation whose answers cite numbered passages that open at the exact quote."""

from __future__ import annotations

import logging

import streamlit as st

from archive import Answered, Token
from archive.errors import ArchiveError
from webui import export
from webui.articles import meta_line
from webui.asof import ALL_DATES, as_of_control, time_words_on
from webui.links import LIBRARY, article_href, article_params
from webui.resources import escape_markdown, get_archive

log = logging.getLogger(__name__)
TURNS = "ask_turns"  # session_state key: the conversation, a list of Answer objects

st.title("Ask the archive")

try:
    archive = get_archive()
    backend = archive.answerer.name
except ArchiveError as e:
    st.error(f"The archive could not be opened: {e}")
    st.stop()

turns = st.session_state.setdefault(TURNS, [])

st.sidebar.caption(f"Answer backend: **{escape_markdown(backend)}**")
as_of = as_of_control()
time_words = time_words_on()
REASK = "ask_again_all_dates"  # session_state key: a question to ask again over all dates

st.caption(
    f"Answers come only from the archive: every sentence cites a numbered passage, and a question the "
    f"archive cannot answer is refused. Answer backend: `{backend}`."
)


def answer_markdown(answer) -> str:
    """The answer's sentences, escaped, each followed by [n] links that open the cited passage."""
    parts = []
    for sentence in answer.sentences:
        links = "".join(
            f"[\\[{c.n}\\]]({article_href(c.article_id, c.start, c.end)})"
            for c in sorted(sentence.citations, key=lambda c: c.n)
        )
        parts.append(escape_markdown(sentence.text.rstrip()) + links)
    return " ".join(parts)


def show_refusal(answer) -> None:
    st.warning(answer.text, icon=":material/block:")
    if answer.note:
        st.caption(escape_markdown(answer.note))
    if answer.closest:
        st.caption("Closest articles in the archive:")
        for a in answer.closest:
            meta = meta_line(a, with_author=False)
            st.page_link(LIBRARY, label=escape_markdown(a.title) + (f" ({escape_markdown(meta)})" if meta else ""),
                         query_params=article_params(a.id))


def show_sources(answer) -> None:
    with st.expander(f"Sources ({len(answer.sources)})", expanded=True, icon=":material/format_quote:"):
        for source in answer.sources:
            a = source.article
            quoted = [c for c in answer.citations if c.n == source.n]
            first = quoted[0] if quoted else None
            st.page_link(
                LIBRARY,
                label=f"\\[{source.n}\\] **{escape_markdown(a.title)}**",
                query_params=article_params(a.id, first.start if first else source.chunk.start,
                                            first.end if first else source.chunk.end),
                help="Open the article at the quoted passage",
            )
            st.caption(escape_markdown(meta_line(a)))
            for c in quoted:
                st.markdown("> " + escape_markdown(c.quote.strip()))
                said = answer.said_by(c)  # what was checked (the quote's fidelity), and who said it
                st.caption(escape_markdown(c.label + (f" · said by {said}" if said else "")))


def show_answer(answer, index: int) -> None:
    """One assistant turn: the answer or the refusal, its sources, and a Markdown download."""
    if answer.refused:
        show_refusal(answer)
    else:
        if answer.lead:  # the direct answer, verbatim from the first quoted sentence
            st.markdown(f"**{escape_markdown(answer.lead)}**")
        st.markdown(answer_markdown(answer))
        st.caption(("Answers the question" if answer.answers_question else "May not answer the question")
                   + (f": {escape_markdown(answer.note)}" if answer.note else ""))
        show_sources(answer)
    if answer.removed:
        with st.expander(f"{len(answer.removed)} sentence(s) removed by verification"):
            for sentence, why in answer.removed:
                st.markdown(f"- {escape_markdown(sentence)} ({escape_markdown(why)})")
    left, right = st.columns([3, 2])
    left.caption(f"{answer.backend} · {answer.elapsed_ms / 1000:.1f} s")
    right.download_button(
        "Download answer with sources", answer.to_markdown(), file_name=f"answer-{index + 1}.md",
        mime="text/markdown", key=f"download-{index}", icon=":material/download:", on_click="ignore",
    )


def stream_answer(question: str, history: list):
    """Run the question, streaming tokens when the backend writes them; returns the final Answer."""
    final: dict = {}

    def tokens():
        for event in archive.ask_stream(question, history, as_of=as_of, time_words=time_words):
            if isinstance(event, Token):
                yield event.text
            elif isinstance(event, Answered):
                final["answer"] = event.answer

    placeholder = st.empty()
    with st.spinner("Searching the archive…"):
        placeholder.write_stream(tokens())
    placeholder.empty()
    return final["answer"]


def window_caption(question: str, index: int) -> None:
    """Which dates the question's time words selected, with a button that asks it again over all dates."""
    timed = archive.interpret(question, None, as_of, time_words)
    if timed.window is not None:
        st.caption(f"Searching {timed.window.label()} (“{escape_markdown(timed.window.phrase)}”, as of "
                   f"{timed.as_of.isoformat()}).")
        if st.button("Ask again over all dates", key=f"reask_{index}"):
            st.query_params[ALL_DATES] = "1"
            st.session_state[REASK] = question
            st.rerun()
    elif timed.unused is not None:
        st.caption(f"No article is dated {timed.unused.label()} (“{escape_markdown(timed.unused.phrase)}”): "
                   "searching all dates.")


for i, answer in enumerate(turns):
    with st.chat_message("user"):
        st.markdown(escape_markdown(answer.question))
    with st.chat_message("assistant"):
        if i == len(turns) - 1:
            window_caption(answer.question, i)
        show_answer(answer, i)

question = st.chat_input("Ask a question about the archived news") or st.session_state.pop(REASK, None)
if not turns and not question:
    st.info("Try: *How many soldiers does Russia lose each month according to Rutte?*", icon=":material/lightbulb:")

if question:
    with st.chat_message("user"):
        st.markdown(escape_markdown(question))
    with st.chat_message("assistant"):
        window_caption(question, len(turns))
        try:
            answer = stream_answer(question, list(turns))
        except ArchiveError as e:
            st.error(f"The question could not be answered: {e}")
        except Exception as e:  # noqa: BLE001 - a backend failure reaches the user as a message, not a traceback
            log.exception("ask failed")
            st.error(f"The answer backend failed ({type(e).__name__}): {e}")
        else:
            turns.append(answer)
            show_answer(answer, len(turns) - 1)


def _clear() -> None:
    st.session_state[TURNS] = []


def conversation_downloads() -> None:
    """The whole conversation, every cited passage with its span and link, as Markdown, CSV and JSON."""
    rows = export.conversation_rows(turns, export.app_base(st.context.url))
    files = (("Markdown", export.conversation_markdown(rows), "md", "text/markdown"),
             ("CSV", export.to_csv(rows, export.CONVERSATION_FIELDS), "csv", "text/csv"),
             ("JSON", export.to_json("conversation", "", rows), "json", "application/json"))
    with st.sidebar.expander("Export the conversation", icon=":material/download:"):
        for label, data, ext, mime in files:
            st.download_button(f"Conversation as {label}", data, file_name=f"conversation.{ext}", mime=mime,
                               key=f"conversation-{ext}", on_click="ignore", width="stretch")


# Drawn last, so they are enabled as soon as the first answer is in.
st.sidebar.button("Clear conversation", icon=":material/delete:", disabled=not turns, on_click=_clear)
if turns:
    conversation_downloads()
