"""Every URL the app sends out: redirect targets and absolute addresses.

Redirects
    :func:`safe_redirect` is the one check for a target that came from
    outside (the ``next`` of the login form). It judges the target in the
    form a browser will use: browsers drop TAB, CR and LF anywhere in a URL,
    strip leading and trailing C0 controls and spaces, and read ``\\`` as
    ``/`` in http(s) URLs (WHATWG URL Standard, "basic URL parser"), so
    ``/<TAB>/evil.example`` and ``/\\evil.example`` both lead off-site as
    ``//evil.example``. Only a path on this site passes: one ``/`` and then
    anything but another slash, never a scheme. What passes is sent in that
    normalised form with everything outside printable ASCII
    percent-encoded, so the header never holds a control character.
    :func:`init_urls` also checks the ``Location`` of every response with
    the same rules on the way out (absolute URLs must point at this site).

Absolute URLs
    Share links, embed snippets, oEmbed, the API's ``Location`` and ``url``
    fields and ICS files need the site's own address. :func:`external_url`
    builds them from ``PUBLIC_URL`` (``TOURPLAN_PUBLIC_URL``, e.g.
    ``https://tour.example.cn``) when it is configured, so the request's
    ``Host`` header plays no part. Without it the request's host is used,
    which is safe only when ``TRUSTED_HOSTS`` (Flask's setting) lists the
    names the site answers to: another ``Host`` is then refused with 400.
    A ``Host`` that is not a host name (spaces, slashes, a broken IPv6
    literal, non-ASCII) is always refused with 400, never a 500.
"""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlsplit

from flask import current_app, request, url_for
from flask_babel import gettext as _  # type: ignore[import-untyped, unused-ignore]
from werkzeug.sansio.utils import host_is_trusted

if TYPE_CHECKING:
    from flask import Flask, Response

__all__ = [
    "browser_form",
    "external_url",
    "init_urls",
    "is_own_url",
    "public_origin",
    "public_url_setting",
    "safe_redirect",
    "trusted_hosts_setting",
]

log = logging.getLogger(__name__)

# C0 controls and space: stripped at both ends by the URL parser.
_C0_OR_SPACE = "".join(chr(c) for c in range(0x21))
# Characters that stay as they are in the Location we send; the rest is
# percent-encoded ("%" too stays, so escapes the target already has are kept).
_SAFE = "/?#[]@!$&'()*+,;=:-._~%"
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:")
_HOST = re.compile(
    r"^(?:(?:[A-Za-z0-9_](?:[A-Za-z0-9_\-]{0,61}[A-Za-z0-9_])?\.)*[A-Za-z0-9_](?:[A-Za-z0-9_\-]{0,61}[A-Za-z0-9_])?"
    r"|\[[0-9A-Fa-f:.]{2,45}\])(?::\d{1,5})?$"
)
_ORIGIN = re.compile(r"^https?://[A-Za-z0-9.\-]+(?::\d{1,5})?$|^https?://\[[0-9A-Fa-f:.]+\](?::\d{1,5})?$")


def browser_form(target: str) -> str:
    r"""The URL a browser would read from ``target``.

    Strips leading and trailing C0 controls and spaces, removes every TAB,
    CR and LF, and turns backslashes into slashes (as for http and https
    URLs).

    Examples
    --------
    >>> browser_form(" /\t/evil.example\\x\n")
    '//evil.example/x'
    """
    text = target.strip(_C0_OR_SPACE)
    text = text.replace("\t", "").replace("\r", "").replace("\n", "")
    return text.replace("\\", "/")


def safe_redirect(target: str | None, default: str) -> str:
    """``target`` when it is a path on this site (in its safe, encoded form), else ``default``.

    Parameters
    ----------
    target
        A redirect target from outside, e.g. ``request.args.get("next")``.
    default
        Where to go instead (a path of the app, e.g. ``url_for("staff.home")``).

    Returns
    -------
    str
        A path starting with exactly one ``/``, all ASCII.

    Examples
    --------
    >>> safe_redirect("/staff/flow?x=1", "/staff/")
    '/staff/flow?x=1'
    >>> [safe_redirect(t, "/staff/") for t in ("//evil.example", "/\\t/evil.example", "/\\\\evil", "https://evil")]
    ['/staff/', '/staff/', '/staff/', '/staff/']
    >>> safe_redirect("/站点 1", "/")
    '/%E7%AB%99%E7%82%B9%201'
    """
    if not target:
        return default
    text = browser_form(target)
    if not text.startswith("/") or text.startswith("//") or _SCHEME.match(text):
        return default
    encoded = quote(text, safe=_SAFE)
    # Encoding never adds a slash, but say so where it matters.
    return encoded if encoded.startswith("/") and not encoded.startswith("//") else default


def public_url_setting(value: Any) -> str | None:
    """Normalise ``PUBLIC_URL``: ``scheme://host[:port]`` without a trailing slash, or None.

    Raises
    ------
    ValueError
        When the value is not an http(s) origin (a path, a query, spaces).

    Examples
    --------
    >>> public_url_setting("https://tour.example.cn/")
    'https://tour.example.cn'
    >>> public_url_setting("") is None
    True
    """
    if value is None or not str(value).strip():
        return None
    text = str(value).strip().rstrip("/")
    if not _ORIGIN.match(text):
        msg = f"PUBLIC_URL: expected an origin like https://tour.example.cn (no path), got {value!r}"
        raise ValueError(msg)
    return text


def trusted_hosts_setting(value: Any) -> list[str] | None:
    """Normalise ``TRUSTED_HOSTS``: a list of host names, or None when unset.

    A string is split on spaces and commas (``TOURPLAN_TRUSTED_HOSTS="a.example
    b.example"``); a leading dot allows every subdomain (Flask's rule).

    Raises
    ------
    ValueError
        For an entry that is not a host name.

    Examples
    --------
    >>> trusted_hosts_setting("tour.example.cn, .example.org")
    ['tour.example.cn', '.example.org']
    """
    if value is None:
        return None
    items = re.split(r"[\s,]+", value.strip()) if isinstance(value, str) else [str(v) for v in value]
    items = [i for i in items if i]
    if not items:
        return None
    bad = [i for i in items if not _HOST.match(i.removeprefix("."))]
    if bad:
        msg = f"TRUSTED_HOSTS: expected host names like tour.example.cn, got {bad!r}"
        raise ValueError(msg)
    return items


def public_origin() -> str:
    """``scheme://host[:port]`` of the site as the outside world reaches it.

    ``PUBLIC_URL`` when configured; else the request's scheme and host
    (checked by :func:`init_urls` before any view runs).
    """
    configured: str | None = current_app.config.get("PUBLIC_URL")
    if configured:
        return configured
    return f"{request.scheme}://{request.host}"


def external_url(endpoint: str, **values: Any) -> str:
    """The absolute URL of an endpoint, on :func:`public_origin`.

    Takes the arguments of :func:`flask.url_for` (without ``_external``).
    """
    return public_origin() + url_for(endpoint, **values)


def is_own_url(url: str) -> bool:
    """Whether an absolute URL points at this site (its public origin).

    Examples
    --------
    >>> from flask import Flask
    >>> app = Flask("x")
    >>> app.config["PUBLIC_URL"] = "https://tour.example.cn"
    >>> with app.test_request_context(base_url="http://evil.example"):
    ...     is_own_url("https://tour.example.cn/i/x"), is_own_url("http://evil.example/i/x")
    (True, False)
    """
    parts = urlsplit(browser_form(url))
    if parts.scheme not in ("http", "https"):
        return False
    return f"{parts.scheme}://{parts.netloc}".lower() == public_origin().lower()


def _valid_host(host: str) -> bool:
    """Whether ``host`` is ``name[:port]`` or ``[ipv6][:port]`` with a port up to 65535."""
    if not _HOST.match(host):
        return False
    port = host.rpartition(":")[2] if not host.endswith("]") else ""
    return not (port.isdigit() and int(port) > 65535)


def _check_host() -> Response | None:
    """A plain 400 for a ``Host`` that is no host name or, with ``TRUSTED_HOSTS``, not a trusted one.

    Answered here, before Flask would fail on it: with an untrusted host
    Flask has no URL adapter, so no page that builds a link can be shown.
    """
    env = request.environ
    raw = env["HTTP_HOST"] if "HTTP_HOST" in env else env.get("SERVER_NAME", "")
    trusted = current_app.config.get("TRUSTED_HOSTS")
    if _valid_host(raw) and (not trusted or host_is_trusted(raw, trusted)):
        return None
    text = _("The Host header of this request is not a valid host name for this site.")
    return current_app.response_class(f"400 Bad Request: {text}\n", status=400, mimetype="text/plain")


def _guard_location(response: Response) -> Response:
    """Every ``Location`` we send is on this site (relative, or on the public origin)."""
    location = response.headers.get("Location")
    if location is None:
        return response
    if _SCHEME.match(browser_form(location)):
        if not is_own_url(location):
            log.error("refused an off-site redirect to %r on %s", location, request.path)
            response.headers["Location"] = url_for("visitor.index")
        return response
    safe = safe_redirect(location, url_for("visitor.index"))
    if safe != location:
        log.warning("redirect target %r sent as %r", location, safe)
        response.headers["Location"] = safe
    return response


def init_urls(app: Flask) -> None:
    """Check ``PUBLIC_URL`` and ``TRUSTED_HOSTS`` at start; check hosts and redirects per request."""
    app.config["PUBLIC_URL"] = public_url_setting(app.config.get("PUBLIC_URL"))
    app.config["TRUSTED_HOSTS"] = trusted_hosts_setting(app.config.get("TRUSTED_HOSTS"))
    if not (app.config["PUBLIC_URL"] or app.config["TRUSTED_HOSTS"] or app.testing or app.debug):
        warned: list[bool] = []

        @app.before_request
        def _warn_once() -> None:
            """Said when the app first serves (not when the CLI only opens the store)."""
            if not warned:
                warned.append(True)
                log.warning(
                    "neither PUBLIC_URL nor TRUSTED_HOSTS is set: absolute links (share links, embed "
                    "snippets, oEmbed, API Location) use the Host header of each request"
                )

    app.before_request(_check_host)
    app.after_request(_guard_location)
    app.jinja_env.globals["external_url"] = external_url
