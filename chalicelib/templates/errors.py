"""The one error of the template layer: input that is not a template the command can read (exit 2)."""

from __future__ import annotations


class TemplateError(Exception):
    """Bad input, named by file and line (when there is one): ``file:line: message``."""

    def __init__(self, file: str, line: int | None, message: str) -> None:
        self.file, self.line, self.message = file, line, message
        super().__init__(f"{file}:{line}: {message}" if line else f"{file}: {message}")
