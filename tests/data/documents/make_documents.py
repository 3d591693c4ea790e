#!/usr/bin/env python3
"""Writes the small documents that tests/unit/core/documents_test.cpp reads.

Standard library only. The generated files are committed, so the tests never need Python;
run this again only to change them:  python3 tests/data/documents/make_documents.py
"""

import hashlib
import io
import os
import struct
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))


def write(name, data):
    with open(os.path.join(HERE, name), "wb") as f:
        f.write(data)


# ---------------------------------------------------------------- PDF

def pdf_string(text):
    """A PDF literal string in WinAnsiEncoding (Latin-1 is close enough for our text)."""
    raw = text.encode("latin-1")
    out = b"("
    for b in raw:
        if b in b"()\\":
            out += b"\\" + bytes([b])
        elif b < 32 or b > 126:
            out += b"\\%03o" % b
        else:
            out += bytes([b])
    return out + b")"


def text_content(lines):
    """Content stream: (y, text) pairs, Helvetica 12 pt from the left margin."""
    ops = [b"BT", b"/F1 12 Tf"]
    for y, text in lines:
        ops.append(b"1 0 0 1 72 %d Tm" % y)
        ops.append(pdf_string(text) + b" Tj")
    ops.append(b"ET")
    return b"\n".join(ops) + b"\n"


IMAGE_CONTENT = b"q\n200 0 0 200 72 500 cm\n/Im1 Do\nQ\n"


def image_object():
    # An 8x8 grey checkerboard, like a (very small) scanned page.
    pixels = bytes((0 if (x + y) % 2 else 255) for y in range(8) for x in range(8))
    return (b"<< /Type /XObject /Subtype /Image /Width 8 /Height 8 /ColorSpace /DeviceGray"
            b" /BitsPerComponent 8 /Length %d >>\nstream\n" % len(pixels) + pixels + b"\nendstream")


def build_pdf(pages, encrypt=None):
    """pages: list of ("text", lines) or ("image", None). encrypt: (user, owner) passwords or None.

    Objects: 1 catalog, 2 pages, 3 font, 4 image, then per page a page object and its content.
    """
    objects = {}
    objects[3] = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"
    objects[4] = None  # the image stream, filled in below (it may need encrypting)
    kids = []
    streams = {}
    number = 5
    for kind, lines in pages:
        page_number, content_number = number, number + 1
        number += 2
        kids.append(page_number)
        objects[page_number] = (
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents %d 0 R"
            b" /Resources << /Font << /F1 3 0 R >> /XObject << /Im1 4 0 R >> >> >>" % content_number)
        streams[content_number] = text_content(lines) if kind == "text" else IMAGE_CONTENT
    objects[1] = b"<< /Type /Catalog /Pages 2 0 R >>"
    objects[2] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (
        b" ".join(b"%d 0 R" % k for k in kids), len(kids))

    file_id = hashlib.md5(b"sds test document").digest()
    trailer_extra = b""
    key = None
    if encrypt is not None:
        user, owner = encrypt
        permissions = -4  # everything allowed; the user password alone locks the document
        o_entry = owner_entry(user.encode(), owner.encode())
        key = file_key(user.encode(), o_entry, permissions, file_id)
        u_entry = rc4(key, PADDING)
        encrypt_number = number
        number += 1
        objects[encrypt_number] = (b"<< /Filter /Standard /V 1 /R 2 /O <%s> /U <%s> /P %d >>"
                                   % (o_entry.hex().encode(), u_entry.hex().encode(), permissions))
        trailer_extra = b" /Encrypt %d 0 R" % encrypt_number

    def stream_object(num, data):
        if key is not None:
            data = rc4(object_key(key, num, 0), data)
        return b"<< /Length %d >>\nstream\n" % len(data) + data + b"\nendstream"

    for num, data in streams.items():
        objects[num] = stream_object(num, data)
    image = image_object()
    if key is not None:
        head, rest = image.split(b"stream\n", 1)
        pixels = rest[: -len(b"\nendstream")]
        image = head + b"stream\n" + rc4(object_key(key, 4, 0), pixels) + b"\nendstream"
    objects[4] = image

    out = io.BytesIO()
    out.write(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = {}
    for num in sorted(objects):
        offsets[num] = out.tell()
        out.write(b"%d 0 obj\n" % num + objects[num] + b"\nendobj\n")
    xref = out.tell()
    size = max(objects) + 1
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % size)
    for num in range(1, size):
        out.write(b"%010d 00000 n \n" % offsets[num])
    out.write(b"trailer\n<< /Size %d /Root 1 0 R /ID [<%s> <%s>]%s >>\nstartxref\n%d\n%%%%EOF\n"
              % (size, file_id.hex().encode(), file_id.hex().encode(), trailer_extra, xref))
    return out.getvalue()


# The standard security handler, revision 2 (40-bit RC4), as in the PDF 1.7 reference 7.6.3.
PADDING = bytes.fromhex("28BF4E5E4E758A4164004E56FFFA01082E2E00B6D0683E802F0CA9FE6453697A")


def rc4(key, data):
    s = list(range(256))
    j = 0
    for i in range(256):
        j = (j + s[i] + key[i % len(key)]) % 256
        s[i], s[j] = s[j], s[i]
    i = j = 0
    out = bytearray()
    for b in data:
        i = (i + 1) % 256
        j = (j + s[i]) % 256
        s[i], s[j] = s[j], s[i]
        out.append(b ^ s[(s[i] + s[j]) % 256])
    return bytes(out)


def padded(password):
    return (password + PADDING)[:32]


def owner_entry(user, owner):
    return rc4(hashlib.md5(padded(owner)).digest()[:5], padded(user))


def file_key(user, o_entry, permissions, file_id):
    return hashlib.md5(padded(user) + o_entry + struct.pack("<i", permissions) + file_id).digest()[:5]


def object_key(key, number, generation):
    digest = hashlib.md5(key + struct.pack("<I", number)[:3] + struct.pack("<I", generation)[:2]).digest()
    return digest[: len(key) + 5]


TWO_PAGES = [
    ("text", [(720, "Quarterly report"),
              (660, "Revenue grew by ten percent in the third quarter."),
              (646, "The caf\xe9 opened a second site.")]),
    ("text", [(720, "Second page text."),
              (704, "Costs stayed flat.")]),
]


def make_pdfs():
    write("two_pages.pdf", build_pdf(TWO_PAGES))
    write("scanned.pdf", build_pdf([("image", None), ("image", None)]))
    write("mixed.pdf", build_pdf([TWO_PAGES[0], ("image", None)]))
    write("encrypted.pdf", build_pdf(TWO_PAGES, encrypt=("secret", "owner")))
    # Only an owner password: anyone may open it, so its text must come out (decrypted).
    write("owner_password_only.pdf", build_pdf(TWO_PAGES[1:], encrypt=("", "owner")))
    # A PDF header and then noise: no objects, no cross-reference table, no trailer.
    write("corrupt.pdf", b"%PDF-1.4\n" + bytes((i * 37 + 11) % 256 for i in range(600)))
    write("truncated.pdf", build_pdf(TWO_PAGES)[:120])


# ---------------------------------------------------------------- DOCX

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"

CONTENT_TYPES = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">
<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>
<Default Extension="xml" ContentType="application/xml"/>
<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>
</Types>"""

RELS = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/>
</Relationships>"""


def paragraph(*runs, list_item=False):
    props = '<w:pPr><w:numPr><w:ilvl w:val="0"/><w:numId w:val="1"/></w:numPr></w:pPr>' if list_item else ""
    return "<w:p>" + props + "".join(runs) + "</w:p>"


def run(text):
    return '<w:r><w:t xml:space="preserve">%s</w:t></w:r>' % text


def table(rows):
    cells = lambda row: "".join("<w:tc><w:tcPr/>" + paragraph(run(c)) + "</w:tc>" for c in row)
    return "<w:tbl><w:tblPr/>" + "".join("<w:tr>" + cells(r) + "</w:tr>" for r in rows) + "</w:tbl>"


DOCUMENT = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<w:document xmlns:w="%s"><w:body>' % W
            + paragraph(run("Project notes"))
            + paragraph(run("The first "), run("paragraph"), run(" is split into runs."))
            + paragraph(run("Name:"), "<w:r><w:tab/></w:r>", run("Caf\u00e9"), "<w:r><w:br/></w:r>", run("Next line"))
            + paragraph(run("Deleted text "), '<w:del w:id="1" w:author="a"><w:r><w:delText>GONE</w:delText></w:r></w:del>',
                        run("is skipped."))
            + paragraph(run("First item"), list_item=True)
            + paragraph(run("Second item"), list_item=True)
            + table([["a", "b", "c"], ["1", "2", "3"]])
            + paragraph()
            + paragraph(run("Closing paragraph."))
            + "<w:sectPr/></w:body></w:document>")


def docx(parts):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
        for name, text in parts:
            info = zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(info, text)
    return buffer.getvalue()


def make_docx():
    good = docx([("[Content_Types].xml", CONTENT_TYPES), ("_rels/.rels", RELS), ("word/document.xml", DOCUMENT)])
    write("paragraphs_list_table.docx", good)
    write("broken_zip.docx", good[: len(good) // 2])
    write("no_document_xml.docx", docx([("[Content_Types].xml", CONTENT_TYPES), ("_rels/.rels", RELS)]))
    write("malformed_xml.docx", docx([("[Content_Types].xml", CONTENT_TYPES), ("_rels/.rels", RELS),
                                      ("word/document.xml", DOCUMENT.replace("</w:body>", ""))]))


# ---------------------------------------------------------------- text

MARKDOWN = "# Guide\r\n\r\nCaf\u00e9 au lait costs 3 \u20ac. Launch \U0001F680 at noon.\r\n\r\n- one\r\n- two\r\n"
UTF16_TEXT = "First line\r\nZweite Zeile: \u00fcber\r\n\r\nEmoji \U0001F600 here.\r\n"
LATIN1_TEXT = "Plain ASCII start.\nCaf\u00e9 au lait.\n"


def make_text():
    write("guide.md", b"\xef\xbb\xbf" + MARKDOWN.encode("utf-8"))
    write("utf16le.txt", b"\xff\xfe" + UTF16_TEXT.encode("utf-16-le"))
    write("utf16be.txt", b"\xfe\xff" + UTF16_TEXT.encode("utf-16-be"))
    write("latin1.txt", LATIN1_TEXT.encode("latin-1"))  # 0xE9 at offset 22


if __name__ == "__main__":
    make_pdfs()
    make_docx()
    make_text()
