"""The fonts of the invoices' PDFs, cut down to the characters of each document before WeasyPrint sees them.

WeasyPrint subsets the fonts it embeds but keeps every glyph's id (it writes glyph ids as the PDF's CIDs): the
system's Noto Sans CJK (a collection of ~65,000 glyphs, kanji at high ids) is then embedded with empty slots up
to the highest glyph used, its horizontal and vertical metrics and CFF index for all of them, hundreds of
kilobytes per weight. So each document gets fonts of its own: the Japanese face of the pinned collection files
(fonts-noto-cjk), regular and bold, subset by HarfBuzz (the library WeasyPrint itself subsets with) to the
document's characters, glyphs renumbered from 0, and given to WeasyPrint as `@font-face` rules of the family
`INVOICE_FAMILY`. A character the face lacks falls back to the system's fonts, as before.
"""

from __future__ import annotations

import logging
from functools import cache
from pathlib import Path

logger = logging.getLogger(__name__)

#: The family the PDF templates name first; its faces are made per document by `font_face_css`.
INVOICE_FAMILY = "Invoice Sans"

#: The pinned font files (Debian's fonts-noto-cjk) and the face of each collection the invoices use, by weight.
FONT_DIR = Path("/usr/share/fonts/opentype/noto")
FACES = {
    400: (FONT_DIR / "NotoSansCJK-Regular.ttc", "Noto Sans CJK JP"),
    700: (FONT_DIR / "NotoSansCJK-Bold.ttc", "Noto Sans CJK JP"),
}

#: Always in the subset: printable ASCII (markup that becomes text, the page counter's digits), the no-break and
#: the ideographic spaces.
ALWAYS = frozenset(chr(c) for c in range(0x20, 0x7F)) | {"\u00a0", "\u3000"}

_CDEF = """
typedef struct hb_blob_t hb_blob_t;
typedef struct hb_face_t hb_face_t;
typedef struct hb_set_t hb_set_t;
typedef struct hb_subset_input_t hb_subset_input_t;
typedef uint32_t hb_codepoint_t;
hb_blob_t *hb_blob_create_from_file_or_fail (const char *file_name);
hb_face_t *hb_face_create (hb_blob_t *blob, unsigned int index);
void hb_face_destroy (hb_face_t *face);
hb_blob_t *hb_face_reference_blob (hb_face_t *face);
const char *hb_blob_get_data (hb_blob_t *blob, unsigned int *length);
void hb_blob_destroy (hb_blob_t *blob);
void hb_set_add (hb_set_t *set, hb_codepoint_t codepoint);
hb_subset_input_t *hb_subset_input_create_or_fail (void);
void hb_subset_input_destroy (hb_subset_input_t *input);
hb_set_t *hb_subset_input_unicode_set (hb_subset_input_t *input);
hb_face_t *hb_subset_or_fail (hb_face_t *source, const hb_subset_input_t *input);
"""


@cache
def _harfbuzz():
    """(ffi, harfbuzz, harfbuzz-subset), or None when the libraries cannot be loaded."""
    try:
        import cffi

        ffi = cffi.FFI()
        ffi.cdef(_CDEF)
        return ffi, ffi.dlopen("libharfbuzz.so.0"), ffi.dlopen("libharfbuzz-subset.so.0")
    except (ImportError, OSError) as error:
        logger.warning(
            "invoice fonts: HarfBuzz-Subset not loaded (%s); the system's fonts are embedded", error
        )
        return None


def _face_index(path: Path, family: str) -> int | None:
    from fontTools.ttLib import TTCollection

    collection = TTCollection(str(path), lazy=True)
    try:
        for index, font in enumerate(collection.fonts):
            if font["name"].getDebugName(1) == family:
                return index
    finally:
        collection.close()
    return None


@cache
def _face(weight: int):
    """The HarfBuzz face of the pinned file for `weight` (kept for the process: the file is mapped, not read),
    or None when the file or the face is missing."""
    hb = _harfbuzz()
    path, family = FACES[weight]
    if hb is None or not path.exists():
        if hb is not None:
            logger.warning("invoice fonts: %s is missing; the system's fonts are embedded", path)
        return None
    index = _face_index(path, family)
    if index is None:
        logger.warning("invoice fonts: no face %r in %s; the system's fonts are embedded", family, path)
        return None
    ffi, harfbuzz, _subset = hb
    blob = harfbuzz.hb_blob_create_from_file_or_fail(str(path).encode())
    if blob == ffi.NULL:
        return None
    face = harfbuzz.hb_face_create(blob, index)
    harfbuzz.hb_blob_destroy(blob)  # the face holds its own reference
    return face


def subset(weight: int, characters: set[str]) -> bytes | None:
    """The face for `weight` cut down to `characters` (and what its layout features reach from them), glyphs
    renumbered from 0: an OpenType font of its own; None when it cannot be made."""
    hb, face = _harfbuzz(), _face(weight)
    if hb is None or face is None:
        return None
    ffi, harfbuzz, harfbuzz_subset = hb
    request = harfbuzz_subset.hb_subset_input_create_or_fail()
    if request == ffi.NULL:
        return None
    try:
        unicodes = harfbuzz_subset.hb_subset_input_unicode_set(request)
        for character in sorted(characters):
            harfbuzz.hb_set_add(unicodes, ord(character))
        made = harfbuzz_subset.hb_subset_or_fail(face, request)
        if made == ffi.NULL:
            return None
        try:
            blob = harfbuzz.hb_face_reference_blob(made)
            length = ffi.new("unsigned int *")
            data = harfbuzz.hb_blob_get_data(blob, length)
            font = bytes(ffi.buffer(data, length[0])) if length[0] else None
            harfbuzz.hb_blob_destroy(blob)
            return font
        finally:
            harfbuzz.hb_face_destroy(made)
    finally:
        harfbuzz_subset.hb_subset_input_destroy(request)


#: The URL scheme of a document's own fonts, served by `DocumentFonts.fetcher` (an inline data: URL of the font
#: would be tokenised by the CSS parser character by character).
SCHEME = "invoice-font"


class DocumentFonts:
    """The fonts of one document: `INVOICE_FAMILY`'s faces subset to the characters of `text` (its HTML will
    do), as `@font-face` rules (`css`) whose sources `fetcher` serves. Without them (`css` empty) the templates'
    next families, the system's, are used."""

    def __init__(self, text: str):
        characters = set(text) | ALWAYS
        self.fonts: dict[str, bytes] = {}
        for weight in sorted(FACES):
            font = subset(weight, characters)
            if font is None:
                self.fonts = {}
                break
            self.fonts[f"{SCHEME}:{weight}"] = font
        self.css = "\n".join(
            f'@font-face {{ font-family: "{INVOICE_FAMILY}"; font-weight: {url.rsplit(":", 1)[1]}; '
            f'font-style: normal; src: url("{url}") format("opentype"); }}'
            for url in self.fonts
        )

    def fetcher(self):
        """A WeasyPrint URL fetcher that serves this document's fonts (and fetches other URLs as usual)."""
        from weasyprint.urls import URLFetcher, URLFetcherResponse

        fonts = self.fonts

        class Fetcher(URLFetcher):
            def fetch(self, url, headers=None):
                if url in fonts:
                    return URLFetcherResponse(url, fonts[url], {"Content-Type": "font/otf"})
                return super().fetch(url, headers)

        return Fetcher()
