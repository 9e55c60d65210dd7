"""The tool's version (from the installed package's metadata) and the version of the JSON report's schema."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, metadata, version

# The findings JSON (CONTRACTS.md §4) carries this; it changes only when a consumer would have to change.
SCHEMA_VERSION = "1"


def _installed_version() -> str:
    try:
        return version("trustwatch")
    except PackageNotFoundError:  # running from a source tree that was never installed
        return "0.0.0+unknown"


TOOL_VERSION = _installed_version()


def information_uri() -> str | None:
    """The home page the installed package declares (``[project.urls]``), for SARIF's ``informationUri``."""
    try:
        urls = metadata("trustwatch").get_all("Project-URL") or []
    except PackageNotFoundError:
        return None
    for entry in urls:
        label, _, url = str(entry).partition(",")
        if label.strip().lower() in ("homepage", "documentation", "source", "repository") and url.strip():
            return url.strip()
    return None
