"""The live-scan progress bar: on a terminal only, never in machine formats or redirected output."""

from __future__ import annotations

import io

import pytest

from chalicelib.cli.progress import ProgressBar, wants_progress


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_bar_counts_accounts_against_the_total() -> None:
    stream = Terminal()
    bar = ProgressBar(stream=stream, total=4, width=8)
    bar("111111111111")
    bar("222222222222")
    bar.close()
    text = stream.getvalue()
    assert "[####....] 2/4 222222222222" in text
    assert text.endswith("\n")


def test_bar_without_total_shows_a_count() -> None:
    stream = Terminal()
    ProgressBar(stream=stream)("111111111111")
    assert "1 read, last 111111111111" in stream.getvalue()


@pytest.mark.parametrize(
    ("fmt", "output", "stdout_tty", "expected"),
    [
        pytest.param("text", None, True, True, id="text-on-terminal"),
        pytest.param("json", None, True, False, id="json"),
        pytest.param("sarif", None, True, False, id="sarif"),
        pytest.param("text", "report.txt", True, False, id="output-file"),
        pytest.param("text", None, False, False, id="piped"),
    ],
)
def test_progress_only_for_people_at_a_terminal(
    monkeypatch: pytest.MonkeyPatch, fmt: str, output: str | None, stdout_tty: bool, expected: bool
) -> None:
    monkeypatch.setattr("sys.stdout", Terminal() if stdout_tty else io.StringIO())
    assert wants_progress(fmt, output, stream=Terminal()) is expected
