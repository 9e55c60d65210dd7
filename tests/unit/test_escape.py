"""Escaping of attacker-controlled strings: Markdown (GitHub), Slack mrkdwn, terminals, code fences.

The Markdown tests render with cmark-gfm (GitHub's parser, raw HTML allowed as GitHub allows it before its
sanitizer) and check that a hostile value comes out as literal text in one table cell.
"""

from __future__ import annotations

import html
import importlib
import re
from typing import Any

import pytest

from chalicelib.report.escape import ZWJ, code_fence, escape_markdown, escape_slack, escape_terminal

HOSTILE_MARKDOWN = [
    pytest.param("<img src=x onerror=alert(1)>", id="html-img"),
    pytest.param("<script>alert(1)</script>", id="html-script"),
    pytest.param("[click](http://evil.example)", id="disguised-link"),
    pytest.param("![x](http://evil.example/p.png)", id="image"),
    pytest.param("<http://evil.example>", id="angle-autolink"),
    pytest.param("see http://evil.example/x and www.evil.example", id="bare-autolinks"),
    pytest.param("a | b | c", id="table-pipes"),
    pytest.param("cell\n| injected | row |", id="newline-new-row"),
    pytest.param("x\r\n# heading\u2028> quote", id="other-line-breaks"),
    pytest.param("**bold** _em_ ~~gone~~ `code`", id="emphasis-and-code"),
    pytest.param("&lt;img&gt; &#64;channel", id="entities"),
    pytest.param("\\[a](http://e)", id="backslash-before-bracket"),
    pytest.param("1. list\n- item\n+ item\n---", id="block-markers"),
]


def gfm(markdown: str) -> str:
    cmark: Any = importlib.import_module("cmarkgfm.cmark")  # GitHub's own Markdown parser (a dev dependency)
    rendered: str = cmark.github_flavored_markdown_to_html(markdown, options=cmark.Options.CMARK_OPT_UNSAFE)
    return rendered


@pytest.mark.parametrize("value", HOSTILE_MARKDOWN)
def test_hostile_value_renders_as_literal_text_in_one_table_cell(value: str) -> None:
    # GIVEN a hostile value escaped into the middle cell of a three-column table row
    table = f"| a | b | c |\n|---|---|---|\n| left | {escape_markdown(value)} | right |\n"
    # WHEN GitHub's Markdown parser renders it
    rendered = gfm(table)
    # THEN the row still has three cells, and the middle one holds the value as text: no element in it
    cells = re.findall(r"<td>(.*?)</td>", rendered, flags=re.S)
    assert len(cells) == 3 and cells[0] == "left" and cells[2] == "right", rendered
    assert "<" not in cells[1], cells[1]
    expected = re.sub("\r\n|[\n\r\u2028]", " ", value)
    assert html.unescape(cells[1]) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param("[a](http://e)", r"\[a\]\(http\://e\)", id="link"),
        pytest.param("<img src=x>", r"\<img src=x\>", id="html"),
        pytest.param("a|b", r"a\|b", id="pipe"),
        pytest.param("line1\nline2", "line1 line2", id="newline"),
        pytest.param("@channel", "@" + ZWJ + "channel", id="mention-at-start"),
        pytest.param("hi @team", "hi @" + ZWJ + "team", id="mention-after-space"),
        pytest.param("/@team", "/@" + ZWJ + "team", id="mention-after-slash"),
        pytest.param("alice@example", "alice@example", id="email-is-not-a-mention"),
        pytest.param("a\u202eb", r"a\\u202eb", id="bidi-override-shown"),
        pytest.param("a\x1bb", r"a\\u001bb", id="control-shown"),
        pytest.param("arn:aws:iam::1:role/R", r"arn\:aws\:iam\:\:1\:role/R", id="plain-arn"),
    ],
)
def test_escape_markdown_output(value: str, expected: str) -> None:
    # GIVEN a value  WHEN it is escaped for Markdown  THEN it is exactly the expected source text
    assert escape_markdown(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param("<!channel>", "&lt;!channel&gt;", id="broadcast-channel"),
        pytest.param("<!here|here>", "&lt;!here|here&gt;", id="broadcast-here"),
        pytest.param("<@U123>", "&lt;@U123&gt;", id="user-mention"),
        pytest.param("<http://evil|click>", "&lt;http://evil|click&gt;", id="disguised-link"),
        pytest.param("<!subteam^S1>", "&lt;!subteam^S1&gt;", id="group-mention"),
        pytest.param("a & b", "a &amp; b", id="ampersand"),
        pytest.param("&lt;!channel&gt;", "&amp;lt;!channel&amp;gt;", id="pre-escaped-stays-literal"),
        pytest.param("@channel", "@" + ZWJ + "channel", id="plain-channel"),
        pytest.param("ping @Here now", "ping @" + ZWJ + "Here now", id="plain-here-any-case"),
        pytest.param("@everyone", "@" + ZWJ + "everyone", id="plain-everyone"),
        pytest.param("alice@example.com", "alice@example.com", id="email-untouched"),
        pytest.param("a\u202eb\nc", "a\\u202eb\nc", id="bidi-shown-newline-kept"),
    ],
)
def test_escape_slack_output(value: str, expected: str) -> None:
    # GIVEN a value  WHEN it is escaped for Slack mrkdwn  THEN control sequences are inert entities
    escaped = escape_slack(value)
    assert escaped == expected
    assert "<" not in escaped and ">" not in escaped


@pytest.mark.parametrize(
    ("value", "multiline", "expected"),
    [
        pytest.param("red\x1b[31mX", False, "red\\x1b[31mX", id="ansi-escape"),
        pytest.param("csi\x9b31m", False, "csi\\x9b31m", id="c1-csi"),
        pytest.param("del\x7f", False, "del\\x7f", id="delete"),
        pytest.param("over\rwrite", False, "over\\x0dwrite", id="carriage-return"),
        pytest.param("a\u202eb", False, "a\\u202eb", id="bidi-override"),
        pytest.param("caf\u00e9 \U0001f600", False, "caf\\xe9 \\U0001f600", id="non-ascii"),
        pytest.param("a \u2014 b\u2026", False, "a -- b...", id="typography"),
        pytest.param("one\ntwo\tthree", False, "one two three", id="single-line"),
        pytest.param("one\r\ntwo", True, "one\ntwo", id="multiline-keeps-newlines"),
    ],
)
def test_escape_terminal_output(value: str, multiline: bool, expected: str) -> None:
    # GIVEN a value  WHEN it is escaped for a terminal  THEN only printable ASCII (and chosen newlines) remain
    escaped = escape_terminal(value, multiline=multiline)
    assert escaped == expected
    assert all(" " <= ch <= "~" or (multiline and ch == "\n") for ch in escaped)


@pytest.mark.parametrize(
    "content",
    [
        pytest.param('{"a": 1}', id="plain-json"),
        pytest.param('{"a": "```"}\n```\n# not a heading\n<img src=x>', id="triple-backticks"),
        pytest.param('{"a": "`````"}\n`````', id="five-backticks"),
        pytest.param("x\n~~~\n<b>x</b>", id="tilde-fence"),
    ],
)
def test_code_fence_cannot_be_closed_by_its_content(content: str) -> None:
    # GIVEN content that tries to close its fence  WHEN fenced and rendered
    rendered = gfm(code_fence(content, "json") + "\n\nafter")
    # THEN it is one code block holding exactly the content, followed by the paragraph
    blocks = re.findall(r"<pre[^>]*><code[^>]*>(.*?)</code></pre>", rendered, flags=re.S)
    assert len(blocks) == 1, rendered
    assert html.unescape(blocks[0]) == content + "\n"
    assert rendered.rstrip().endswith("<p>after</p>")


def test_code_fence_is_longer_than_any_backtick_run() -> None:
    # GIVEN content with a run of five backticks  WHEN fenced  THEN the fence has six
    fenced = code_fence("a `````", "json")
    assert fenced.startswith("``````json\n") and fenced.endswith("\n``````")
