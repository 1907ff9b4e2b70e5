"""Help text wrapped by what it takes on screen: a Chinese character is two columns wide and a line may break after it.

Click wraps help at spaces and counts characters, so a Chinese help text (no
spaces, two columns a character) ran past the terminal's edge, and a list
such as ``science,history,…`` was cut in the middle of a word.
:class:`WideFormatter` wraps by display width instead: between any two
Chinese characters (never before closing punctuation such as "，" or "）"),
and at spaces between other words, which are only cut when one is longer
than a line. The help of a run in Chinese uses it (:func:`context_class`);
English help is click's own.
"""

from __future__ import annotations

import unicodedata
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = ["WideFormatter", "context_class", "display_width", "wrap"]

#: Punctuation that may not start a line: it stays with the character before it.
_CLOSING = frozenset("，。、；：？！）》」』】〕…,.;:?!)]")
#: Punctuation that may not end a line: it stays with the character after it.
_OPENING = frozenset("（《「『【〔([")


def _wide(ch: str) -> bool:
    return unicodedata.east_asian_width(ch) in ("W", "F")


def display_width(text: str) -> int:
    """Columns ``text`` takes in a terminal (wide characters two each).

    >>> display_width("用法: tourplan")
    14
    """
    return sum(2 if _wide(ch) else 1 for ch in text)


def _units(text: str) -> list[str]:
    """Pieces a line may break between: runs of spaces, words of narrow characters, single wide characters."""
    units: list[str] = []
    for ch in text:
        last = units[-1] if units else ""
        same_run = last and (
            (ch.isspace() and last.isspace())  # a run of spaces
            or (  # a word (a list such as "science,history" may break after its commas)
                not ch.isspace()
                and not _wide(ch)
                and not last.isspace()
                and last[-1] not in ",/"
                and not _wide(last[-1])
            )
        )
        if (
            same_run
            or (ch in _CLOSING and last and not last.isspace())  # a closing mark never starts a line
            or (last and last[-1] in _OPENING and not ch.isspace())  # an opening one never ends a line
        ):
            units[-1] = last + ch
        else:
            units.append(ch)
    return units


def wrap(text: str, width: int) -> list[str]:
    """``text`` (one paragraph) in lines of at most ``width`` columns.

    >>> wrap("以逗号分隔的景点主题：science,history,nature。", 20)
    ['以逗号分隔的景点主', '题：science,history,', 'nature。']
    >>> wrap("a_very_long_identifier_here", 10)
    ['a_very_lon', 'g_identifi', 'er_here']
    >>> wrap("文字 [默认：8]", 7)
    ['文字', '[默认：', '8]']
    >>> wrap("one two three", 8)
    ['one two', 'three']
    """
    lines: list[str] = []
    line = ""
    for unit in _units(text.replace("\n", " ")):
        if unit.isspace():
            if line:
                line += unit
            continue
        if line and display_width(line) + display_width(unit) > width:
            lines.append(line.rstrip())
            line = ""
        while display_width(unit) > width:  # a word longer than a line is cut
            cut = _fits(unit, width)
            lines.append(unit[:cut])
            unit = unit[cut:]
        line += unit
    if line.strip():
        lines.append(line.rstrip())
    return lines


def _fits(text: str, width: int) -> int:
    """How many leading characters of ``text`` fit in ``width`` columns (at least one)."""
    used = 0
    for i, ch in enumerate(text):
        used += 2 if _wide(ch) else 1
        if used > width:
            return max(1, i)
    return len(text)


class WideFormatter(click.HelpFormatter):
    """Click's help layout, with paragraphs and definition lists wrapped by display width."""

    def write_text(self, text: str) -> None:
        """Each paragraph (blank-line separated) wrapped at the current indent."""
        indent = " " * self.current_indent
        width = max(self.width - self.current_indent, 11)
        for k, paragraph in enumerate(p for p in text.split("\n\n") if p.strip()):
            if k:
                self.write("\n")
            for line in wrap(paragraph, width):
                self.write(f"{indent}{line}\n")

    def write_dl(self, rows: Sequence[tuple[str, str]], col_max: int = 30, col_spacing: int = 2) -> None:
        """Terms and their help side by side; a term wider than ``col_max`` puts its help on the next line."""
        rows = list(rows)
        term_width = min(max((display_width(term) for term, _ in rows), default=0), col_max) + col_spacing
        margin = " " * (self.current_indent + term_width)
        width = max(self.width - term_width - 2, 10)
        for term, text in rows:
            self.write(f"{' ' * self.current_indent}{term}")
            if not text:
                self.write("\n")
                continue
            if display_width(term) <= term_width - col_spacing:
                self.write(" " * (term_width - display_width(term)))
            else:
                self.write(f"\n{margin}")
            lines = wrap(text, width) or [""]
            self.write(f"{lines[0]}\n")
            for line in lines[1:]:
                self.write(f"{margin}{line}\n")


class _WideContext(click.Context):
    formatter_class = WideFormatter


def context_class(lang: str) -> type[click.Context]:
    """The context class for a command run in ``lang``: Chinese help wrapped by display width."""
    return _WideContext if lang == "zh" else click.Context
