"""Drawing a form's print HTML as a PDF, with fpdf2 and the bundled DejaVu Sans.

fpdf2 is pure Python (with fontTools and Pillow, both wheels everywhere), actively kept,
embeds TrueType fonts as Unicode subsets, and draws a useful subset of HTML itself
(``write_html``), so the same Jinja2 template that makes the web page makes the PDF: no
browser, no native library (WeasyPrint needs Pango, wkhtmltopdf a Qt build). What that
subset understands, and so what a form template may use, is listed in ``docs/forms.md``:
``h1``-``h3``, ``p`` (with ``align``), ``b``, ``i``, ``u``, ``br``, ``hr``, ``ul``/``ol``,
``table`` (``width``, ``border``; cells of plain text, a whole cell in ``b`` or ``i``) and
``img`` (the QR code). CSS is ignored in the PDF.

The font is DejaVu Sans 2.37 (regular, bold, oblique), which has every Vietnamese letter
with every tone mark as a precomposed glyph; text is put in NFC first so that a name typed
with combining marks is drawn with those glyphs. The bundled files are kept to Latin,
Greek, Cyrillic and common symbols (``scripts/subset-fonts.py``): a third of the size, and
a PDF made in about two thirds of the time (reading the fonts is most of it). Their licence
(Bitstream Vera and Arev terms: free to redistribute and change with software, never sold
alone) ships beside them as ``fonts/LICENSE-DejaVu.txt``.
"""

from __future__ import annotations

import datetime as dt
import html.parser
import importlib.resources
import unicodedata
from typing import Any, Final

from onestop.domain.vn_time import local_time
from onestop.errors import ConfigurationError, TemplateError

__all__ = ["FONT_FAMILY", "FONT_FILES", "html_to_pdf"]

#: The family name the PDF's text is set in.
FONT_FAMILY: Final = "DejaVuSans"
#: The bundled font file of each fpdf2 style ("" regular, "B" bold, "I" italic).
FONT_FILES: Final = {
    "": "DejaVuSans.ttf",
    "B": "DejaVuSans-Bold.ttf",
    "I": "DejaVuSans-Oblique.ttf",
    # No bold oblique is bundled (one file less in the wheel): bold stands in for it.
    "BI": "DejaVuSans-Bold.ttf",
}
_FONT_SIZE: Final = 11
# A4 with the margins of Decree 30/2020 on administrative documents (top and bottom 20 mm,
# left 30 mm, right 15 mm), a little narrower on the left since forms are not bound.
_MARGINS: Final = (25.0, 20.0, 15.0)


def _fpdf() -> Any:
    try:
        import fpdf
    except ImportError as e:  # pragma: no cover - depends on the installed extras
        raise ConfigurationError(
            "the printable forms need fpdf2 to make PDF: pip install 'onestop[forms]'"
        ) from e
    return fpdf


def _tag_styles(fpdf: Any) -> dict[str, Any]:
    """Headings in black and at form sizes instead of fpdf2's red book headings."""
    text_style = fpdf.TextStyle
    return {
        "h1": text_style(font_size_pt=14, font_style="B", color="#000", t_margin=4, b_margin=1),
        "h2": text_style(font_size_pt=12, font_style="B", color="#000", t_margin=3, b_margin=1),
        "h3": text_style(font_size_pt=11, font_style="B", color="#000", t_margin=2, b_margin=1),
        "p": text_style(t_margin=1.5),
    }


_BOLD: Final = frozenset({"b", "strong", "th", "h1", "h2", "h3", "h4", "h5", "h6", "dt"})
_ITALIC: Final = frozenset({"i", "em"})


class _StyleScan(html.parser.HTMLParser):
    """Which fpdf2 styles the text of some HTML is set in: "" always, "B", "I", "BI"."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.bold = 0
        self.italic = 0
        self.styles = {""}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.bold += tag in _BOLD
        self.italic += tag in _ITALIC

    def handle_endtag(self, tag: str) -> None:
        self.bold -= tag in _BOLD and self.bold > 0
        self.italic -= tag in _ITALIC and self.italic > 0

    def handle_data(self, data: str) -> None:
        if data.strip():
            self.styles.add(("B" if self.bold else "") + ("I" if self.italic else ""))


def styles_used(markup: str) -> set[str]:
    """The font styles ``markup`` needs: reading a font is most of a PDF's cost, so a PDF
    loads only those (a form without bold italic text never reads that font)."""
    scan = _StyleScan()
    scan.feed(markup)
    scan.close()
    return scan.styles


def html_to_pdf(html: str, *, title: str, created_at: dt.datetime) -> bytes:
    """The PDF (A4) of a form's print HTML; the same input gives the same bytes.

    ``created_at`` is recorded as the document's creation date. TemplateError when the
    HTML uses what fpdf2 cannot draw (a tag nested inside a table cell, a table with rows
    of unequal width).
    """
    fpdf = _fpdf()
    pdf = fpdf.FPDF(orientation="portrait", unit="mm", format="A4")
    left, top, right = _MARGINS
    pdf.set_margins(left, top, right)
    pdf.set_auto_page_break(auto=True, margin=top)
    markup = unicodedata.normalize("NFC", html)
    fonts = importlib.resources.files("onestop.forms") / "fonts"
    needed = styles_used(markup)
    for style, name in FONT_FILES.items():
        if style not in needed:
            continue
        with importlib.resources.as_file(fonts / name) as path:
            pdf.add_font(FONT_FAMILY, style, str(path))
    pdf.set_font(FONT_FAMILY, size=_FONT_SIZE)
    pdf.set_title(unicodedata.normalize("NFC", title))
    pdf.set_creator("onestop")
    pdf.set_lang("vi")  # screen readers and text extraction read it as Vietnamese
    pdf.set_creation_date(local_time(created_at))
    pdf.add_page()
    try:
        pdf.write_html(
            markup,
            font_family=FONT_FAMILY,
            tag_styles=_tag_styles(fpdf),
            warn_on_tags_not_matching=False,
        )
        return bytes(pdf.output())
    # OSError: an <img> that is no data: URI (a file path), or data that is no image.
    except (NotImplementedError, ValueError, KeyError, OSError, fpdf.errors.FPDFException) as e:
        raise TemplateError(
            f"the print layout of form {title!r} cannot be drawn as PDF: {e}; a form template "
            "may use only the HTML that docs/forms.md lists"
        ) from e
