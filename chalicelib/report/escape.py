"""Escaping of attacker-controlled text (role names, session names, tags, policy values) for each output.

Anyone who can create a role, tag a session or write a trust policy chooses some of the strings that end up
in a report. None of them may turn into markup where a human reads the report: no link that hides its
target, no HTML, no ``@channel``/``<!here>`` ping, no broken table, no closed code fence, no terminal escape
sequence, no right-to-left override that makes one ARN look like another.

Invisible and control characters are never dropped silently; they are shown as ``\\uXXXX`` so the reader
sees that something unusual was there.
"""

from __future__ import annotations

import re
import unicodedata

ZWJ = "\u200d"  # zero-width joiner: breaks a mention without changing what a reader sees

# Backslash-escapable in CommonMark (any ASCII punctuation may be escaped). `&` stops entity references
# (`&#64;channel` would become a mention), `$` GitHub's math, `:` the GFM autolinker (`http://…` would become
# a link whose text shows the escaping backslashes). An e-mail address may still be autolinked: its text is
# its target, so it hides nothing.
_MARKDOWN_SPECIALS = frozenset("\\`*_{}[]()#+-.!|<>~&$:")
_LINE_BREAK = re.compile("\r\n|[\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029]")
_SLACK_BROADCAST = re.compile("@(?=(?:channel|here|everyone))", re.IGNORECASE)
_TYPOGRAPHY = {"\u2014": "--", "\u2013": "-", "\u2026": "...", "\u2192": "->", "\u00a0": " ",
               "\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"'}  # fmt: skip


def neutralise(text: str) -> str:
    """The shared core of every escaper: one line, every invisible or control character shown, not obeyed.

    Line breaks of any kind (CR, LF, VT, FF, NEL, U+2028/9) become a space, so an attacker cannot start a
    line that looks like the tool's own; ESC, DEL, C1 controls, bidi overrides (U+202E) and other format
    characters are shown as ``\\x1b``/``\\u202e``. Safe for any plain-text output (SNS, logs, SARIF text, mermaid);
    each format adds its own markup escaping on top.
    """
    flat = _LINE_BREAK.sub(" ", text).replace("\t", " ")
    return "".join(_python_escape(ch) if _is_invisible(ch) else ch for ch in flat)


def escape_sarif_text(text: str) -> str:
    """A SARIF plain-text message: neutralised, and ``[``/``]``/``\\`` escaped as SARIF 2.1.0 §3.11.6
    requires of literal brackets, so ``[click](javascript:…)`` is not read as an embedded link."""
    return re.sub(r"([\\\[\]])", r"\\\1", neutralise(text))


def escape_mermaid(text: str) -> str:
    """Text for a quoted mermaid node label: neutralised, ASCII, quotes and markup as mermaid entity codes."""
    out = []
    for ch in escape_terminal(neutralise(text)):
        out.append(f"#{ord(ch)};" if ch in '"<>#&`[]{}()|;' else ch)
    return "".join(out)


def escape_markdown(text: str) -> str:
    """One line of GitHub-flavoured Markdown that displays ``text`` literally (safe in a table cell too).

    Line breaks become spaces (a newline would end a table row or start a heading), Markdown metacharacters
    are backslash-escaped (so ``[a](http://e)``, ``<img …>``, ``|`` and ``*`` stay text), and ``@`` gets a
    zero-width joiner wherever GitHub would read a mention (after a non-word character or at the start).
    """
    flat = _LINE_BREAK.sub(" ", text).replace("\t", " ")
    out: list[str] = []
    for i, ch in enumerate(flat):
        if ch in _MARKDOWN_SPECIALS:
            out.append("\\" + ch)
        elif ch == "@":
            out.append("@" if i and _is_word(flat[i - 1]) else "@" + ZWJ)
        elif _is_invisible(ch):
            out.append("\\" + _codepoint(ch))  # the backslash of \uXXXX, escaped
        else:
            out.append(ch)
    return "".join(out)


def escape_slack(text: str) -> str:
    """Text for a Slack mrkdwn field that displays literally and notifies nobody.

    Slack reads control sequences only inside ``<…>`` (``<!channel>``, ``<@U123>``, ``<http://e|click>``);
    escaping ``&``, ``<`` and ``>`` as entities (Slack's documented escaping) makes them inert. A plain
    ``@channel``/``@here``/``@everyone`` gets a zero-width joiner, in case a client parses names.
    """
    visible = "".join(_codepoint(ch) if _is_invisible(ch) and ch not in "\n\t" else ch for ch in text)
    entities = visible.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _SLACK_BROADCAST.sub("@" + ZWJ, entities)


def escape_terminal(text: str, *, multiline: bool = False) -> str:
    """Printable ASCII only: no escape sequence reaches the terminal, no look-alike or bidi character either.

    Common typography (dashes, ellipsis, quotes) is spelled in ASCII; anything else outside printable ASCII
    is shown as a Python-style escape (``\\x1b``, ``\\u202e``). Newlines survive only when ``multiline``.
    """
    out: list[str] = []
    for ch in text.replace("\r\n", "\n"):
        if ch == "\n" and multiline:
            out.append(ch)
        elif ch in "\t\n":
            out.append(" ")
        elif " " <= ch <= "~":
            out.append(ch)
        else:
            out.append(_TYPOGRAPHY.get(ch) or _python_escape(ch))
    return "".join(out)


def code_fence(text: str, info: str = "") -> str:
    """A fenced code block that ``text`` cannot close: the fence is longer than any backtick run inside."""
    longest = max((len(run) for run in re.findall("`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    body = "".join(
        _codepoint(ch) if _is_invisible(ch) and ch not in "\n\t" else ch for ch in _LINE_BREAK.sub("\n", text)
    )
    return f"{fence}{info}\n{body}\n{fence}"


def _python_escape(ch: str) -> str:
    code = ord(ch)
    return f"\\x{code:02x}" if code <= 0xFF else _codepoint(ch)  # ESC and DEL are ASCII: escape them by hand


def _is_word(ch: str) -> bool:
    return ch.isascii() and (ch.isalnum() or ch == "_")


def _is_invisible(ch: str) -> bool:
    """Control, format (bidi overrides, zero-width characters), surrogate, private-use or unassigned."""
    return unicodedata.category(ch).startswith("C")


def _codepoint(ch: str) -> str:
    code = ord(ch)
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"
