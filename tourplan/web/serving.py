"""What ``tourplan serve`` (werkzeug's development server) says about itself.

Werkzeug's server sends ``Server: Werkzeug/<version> Python/<version>``,
which tells a visitor which known bugs to try; :class:`QuietRequestHandler`
sends ``Server: tourplan`` instead. (Production runs behind gunicorn and a
proxy, whose own Server header the proxy replaces or removes.)
"""

from __future__ import annotations

from werkzeug.serving import WSGIRequestHandler

__all__ = ["QuietRequestHandler"]


class QuietRequestHandler(WSGIRequestHandler):
    """Werkzeug's request handler without software versions in the ``Server`` header."""

    def version_string(self) -> str:
        """The ``Server`` header's value: the product name only."""
        return "tourplan"
