"""The XSS corpus (tests/data/xss_payloads.txt), a site table full of it, and an HTML checker.

Used by tests/test_web_xss.py (every page rendered by the test client) and
tests/e2e/test_xss_browser.py (the same pages in chromium with a trap).
"""

from __future__ import annotations

import csv
import html
import re
from functools import cache
from html.parser import HTMLParser
from pathlib import Path

DATA = Path(__file__).parent / "data"
#: The free-text columns of a site table (opening_hours is validated, so it is not one; aliases must
#: name one place each and split on ";", so they get no payload).
TEXT_COLUMNS = ("name_zh", "name_en", "activity_en", "activity_zh", "study_notes", "note", "district", "source")
#: Columns whose validation wants something in front of a payload (activity_zh must hold Chinese text).
PAYLOAD_PREFIX = {"activity_zh": "活动"}
#: What a payload produces if a template engine evaluates it.
EVALUATED = ("xssxssxss",)
_DANGEROUS_URL = re.compile(r"^(javascript|vbscript|data:text/html)", re.IGNORECASE)
_URL_ATTRS = {"href", "src", "action", "formaction", "data", "xlink:href", "poster", "background", "srcdoc"}
_FORBIDDEN_TAGS = {"iframe", "object", "embed", "base", "frame", "frameset", "applet"}


@cache
def payloads() -> tuple[str, ...]:
    """The corpus, without comment lines."""
    lines = (DATA / "xss_payloads.txt").read_text(encoding="utf-8").splitlines()
    return tuple(line for line in lines if line.strip() and not line.startswith("# "))


def write_payload_pois(src: Path, dst: Path) -> list[str]:
    """Copy a site table, putting payloads in every free-text column; return the site ids.

    Site ``i`` gets payload ``(7 i + j) mod n`` in column ``j``, so with at
    least as many sites as payloads every payload lands in every column.
    """
    corpus = payloads()
    with open(src, encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    fields = list(rows[0].keys())
    assert len(rows) >= len(corpus), "the table needs at least one site per payload"
    for i, row in enumerate(rows):
        for j, col in enumerate(TEXT_COLUMNS):
            row[col] = PAYLOAD_PREFIX.get(col, "") + corpus[(7 * i + j) % len(corpus)]
    with open(dst, "w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=fields)
        w.writeheader()
        w.writerows(rows)
    return [r["id"] for r in rows]


def _js_code_outside_strings(js: str) -> str:
    """The parts of a script outside string literals and comments (template-literal ``${}`` kept)."""
    out: list[str] = []
    i, n = 0, len(js)
    while i < n:
        c = js[i]
        if c in "'\"`":
            j = i + 1
            while j < n and js[j] != c:
                if js[j] == "\\":
                    j += 1
                elif c == "`" and js.startswith("${", j):
                    k = js.find("}", j)
                    out.append(js[j : k + 1])  # code inside a template literal
                    j = k
                j += 1
            i = j + 1
            out.append(" ")
        elif js.startswith("//", i):
            i = js.find("\n", i) if "\n" in js[i:] else n
        elif js.startswith("/*", i):
            k = js.find("*/", i + 2)
            i = n if k < 0 else k + 2
        else:
            out.append(c)
            i += 1
    return "".join(out)


class _Checker(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self._script: list[str] | None = None
        self._style: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _FORBIDDEN_TAGS:
            self.problems.append(f"<{tag}> element")
        if tag == "meta" and any(k == "http-equiv" for k, _ in attrs):
            self.problems.append("<meta http-equiv>")
        for name, value in attrs:
            v = re.sub(r"[\x00-\x20]", "", value or "")
            if name.startswith("on"):
                self.problems.append(f"<{tag} {name}=...> event handler")
            if name in _URL_ATTRS and _DANGEROUS_URL.match(v):
                self.problems.append(f"<{tag} {name}={value!r}>")
            if name == "style" and ("expression(" in v.lower() or "javascript:" in v.lower()):
                self.problems.append(f"<{tag} style={value!r}>")
        if tag == "script":
            names = dict(attrs)
            src = names.get("src")
            if src is not None and not (src.startswith("/") and not src.startswith("//")):
                self.problems.append(f"<script src={src!r}> not from this origin")
            if src is None and not names.get("nonce"):
                self.problems.append("inline <script> without the CSP nonce")
            self._script = []
        if tag == "style":
            self._style = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "script" and self._script is not None:
            code = _js_code_outside_strings("".join(self._script))
            if "__xss" in code or "alert(" in code:
                self.problems.append(
                    f"payload code in a script: ...{code[max(0, code.find('xss') - 80) :][:200]}"
                )
            self._script = None
        if tag == "style" and self._style is not None:
            css = "".join(self._style).lower()
            if "expression(" in css or "javascript:" in css or "__xss" in css:
                self.problems.append("payload in a <style> element")
            self._style = None

    def handle_data(self, data: str) -> None:
        if self._script is not None:
            self._script.append(data)
        elif self._style is not None:
            self._style.append(data)


def xss_problems(page: str) -> list[str]:
    """Why ``page`` (HTML) may run a payload; empty when every payload is inert.

    * No payload with markup characters appears raw outside ``<script>``
      elements: it must be HTML-escaped there.
    * No element or attribute a payload could bring: event handlers,
      ``javascript:``/``data:text/html`` URLs, frames, ``<base>``,
      ``<meta http-equiv>``, CSS ``expression``, scripts without the nonce.
    * Inside scripts payload text lives only in string literals (JSON-encoded).
    * No template syntax was evaluated.
    """
    problems: list[str] = []
    outside_scripts = re.sub(r"(?is)<script\b[^>]*>.*?</script>", "<script></script>", page)
    for p in payloads():
        if any(ch in p for ch in "<>\"'&") and p in outside_scripts:
            problems.append(f"raw payload in the HTML: {p!r}")
    for text in EVALUATED:
        if text in page:
            problems.append(f"a template evaluated a payload ({text!r})")
    checker = _Checker()
    checker.feed(page)
    checker.close()
    problems.extend(checker.problems)
    return problems


def unescaped(text: str) -> str:
    """HTML-unescape (for tests that look for a payload shown as text)."""
    return html.unescape(text)
