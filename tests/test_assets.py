"""Vendored assets inlined into a standalone page."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from tourplan._assets import inline

if TYPE_CHECKING:
    from pathlib import Path


@pytest.fixture
def vendor(tmp_path: Path) -> Path:
    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / "a.js").write_text(
        'var s = "</SCRIPT>";\n//# sourceMappingURL=a.js.map\n', encoding="utf-8"
    )
    (tmp_path / "lib" / "a.css").write_text(
        ".i { background: url('img/x.png?v=1'); }\n</style>", encoding="utf-8"
    )
    (tmp_path / "lib" / "img").mkdir()
    (tmp_path / "lib" / "img" / "x.png").write_bytes(b"\x89PNG")
    (tmp_path / "lib" / "far.css").write_text(
        ".i { background: url(https://cdn.example.com/x.png); }", encoding="utf-8"
    )
    (tmp_path / "lib" / "notes.txt").write_text("hello", encoding="utf-8")
    return tmp_path


def test_a_script_becomes_a_script_element(vendor: Path) -> None:
    out = inline(vendor, "lib/a.js")
    assert out.startswith('<script>\nvar s = "<\\/SCRIPT>";\n') and out.endswith("\n</script>")
    assert "sourceMappingURL" not in out


def test_a_stylesheet_carries_its_images(vendor: Path) -> None:
    out = inline(vendor, "lib/a.css")
    assert out.startswith("<style>\n") and out.endswith("\n</style>")
    assert 'url("data:image/png;base64,iVBORw==")' in out
    assert "<\\/style>" in out


@pytest.mark.parametrize(
    ("rel", "error", "match"),
    [
        ("lib/notes.txt", ValueError, "must be a .js script or a .css stylesheet"),
        ("../outside.js", ValueError, "must stay inside the vendor folder"),
        ("lib/missing.js", FileNotFoundError, "not found"),
        ("lib/far.css", ValueError, "references a non-local URL"),
    ],
)
def test_other_files_are_refused(vendor: Path, rel: str, error: type[Exception], match: str) -> None:
    with pytest.raises(error, match=match):
        inline(vendor, rel)
