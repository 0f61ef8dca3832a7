"""Lay a :class:`~samhandling.report.document.ReportDocument` out as one self-contained HTML file.

jinja2 with autoescaping (every text from the data is escaped; only the SVG markup the charts module
made is inserted as is), the CSS and the small search-and-sort script read from package data and put
inline, the template's words from the message catalogue.  Nothing refers to anything outside the file,
so it reads the same offline, attached to an e-mail or printed; without scripts it reads the same too.
"""

from __future__ import annotations

from importlib import resources
from typing import Any

from samhandling.report.document import ReportDocument
from samhandling.report.messages import msg

__all__ = ["render_html"]


def _environment() -> Any:
    try:
        import jinja2
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError("the report needs jinja2: pip install 'samhandling[report]'") from exc
    return jinja2.Environment(
        loader=jinja2.PackageLoader("samhandling.report", "templates"),
        autoescape=jinja2.select_autoescape(["html", "j2"]),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def render_html(document: ReportDocument) -> str:
    """The whole report as an HTML string (UTF-8 when written)."""
    folder = resources.files("samhandling.report").joinpath("templates")
    css = folder.joinpath("report.css").read_text(encoding="utf-8")
    script = folder.joinpath("report.js").read_text(encoding="utf-8")
    template = _environment().get_template("report.html.j2")
    html: str = template.render(doc=document, css=css, script=script, msg=msg)
    return html
