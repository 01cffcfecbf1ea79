"""Make the fonts bundled for the printable forms from Debian's DejaVu Sans.

Usage (Debian: ``apt-get install fonts-dejavu-core fonts-dejavu-extra``)::

    .venv/bin/python scripts/subset-fonts.py [/usr/share/fonts/truetype/dejavu]

Writes ``src/onestop/forms/fonts/DejaVuSans*.ttf``: DejaVu Sans 2.37 kept to the Unicode
blocks a Vietnamese form needs and a little more (Latin in full with Vietnamese, Greek,
Cyrillic, punctuation, currency, letterlike symbols, arrows, mathematical operators, box
drawing, geometric shapes), without hinting, which a PDF does not use. A third of the size:
fpdf2 reads the fonts and writes their subsets in about two thirds of the time. The name
table, with the licence the fonts carry (name ID 13), is kept whole; the family name stays
"DejaVu Sans", which the licence allows (it asks only that a changed font not be called
Bitstream, Vera, Arev or Tavmjong Bah).
"""

from __future__ import annotations

import sys
from pathlib import Path

from fontTools import subset

FONTS = ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf", "DejaVuSans-Oblique.ttf")
TARGET = Path(__file__).resolve().parent.parent / "src" / "onestop" / "forms" / "fonts"
BLOCKS = (
    (0x0000, 0x036F),  # Latin, Latin-1, Latin Extended-A/B, IPA, modifiers, combining marks
    (0x0370, 0x052F),  # Greek, Cyrillic and its supplement
    (0x1E00, 0x1FFF),  # Latin Extended Additional (Vietnamese), Greek Extended
    (0x2000, 0x22FF),  # punctuation, super/subscripts, currency (₫), letterlike, arrows, math
    (0x2500, 0x25FF),  # box drawing, block elements, geometric shapes
    (0xFB00, 0xFB06),  # Latin ligatures
    (0xFFFD, 0xFFFD),  # the replacement character
)


def main(argv: list[str]) -> int:
    source = Path(argv[0]) if argv else Path("/usr/share/fonts/truetype/dejavu")
    options = subset.Options()
    options.name_IDs = ["*"]
    options.name_languages = ["*"]
    options.name_legacy = True
    options.hinting = False
    options.notdef_outline = True
    options.glyph_names = False
    options.layout_features = ["*"]
    unicodes = [c for start, end in BLOCKS for c in range(start, end + 1)]
    for name in FONTS:
        font = subset.load_font(str(source / name), options)
        subsetter = subset.Subsetter(options)
        subsetter.populate(unicodes=unicodes)
        subsetter.subset(font)
        subset.save_font(font, str(TARGET / name), options)
        print(f"{name}: {(TARGET / name).stat().st_size} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
