"""Render documents to PDF with WeasyPrint.

Each process keeps one ``FontConfiguration`` and the parsed house stylesheet: parsing the CSS and
loading the fonts again for every document costs more than the QR code. Fonts are subset (not
``full_fonts``) so a one-page certificate stays small; the output is PDF/A-3u, so that ő and ű
come back out of text extraction.
"""

import threading

import qrcode
from django.conf import settings
from django.template.loader import get_template, render_to_string
from django.urls import reverse
from django.utils import translation
from weasyprint import CSS, HTML
from weasyprint.text.fonts import FontConfiguration

PDF_VARIANT = "pdf/a-3u"

TEMPLATES = {
    "damage_history": "certificates/pdf/damage_history.html",
    "fleet_damage_history": "certificates/pdf/fleet_damage_history.html",
    "coverage": "certificates/pdf/coverage.html",
    "green_card": "certificates/pdf/green_card.html",
    "premium_status": "certificates/pdf/premium_status.html",
    "invoice_copy": "certificates/pdf/invoice_copy.html",
    "policy_copy": "certificates/pdf/policy_copy.html",
}

_lock = threading.Lock()
_resources: tuple[FontConfiguration, CSS] | None = None


def _font_config_and_css() -> tuple[FontConfiguration, CSS]:
    """Return this process's font configuration and parsed stylesheet, built once."""
    global _resources
    if _resources is None:
        with _lock:
            if _resources is None:
                font_config = FontConfiguration()
                css_text = get_template("certificates/pdf/document.css").template.source
                _resources = (font_config, CSS(string=css_text, font_config=font_config))
    return _resources


def verification_url(number: str) -> str:
    """Return the public URL the QR code leads to."""
    return settings.PUBLIC_BASE_URL + reverse("certificates:verify", args=[number])


def qr_svg(url: str) -> str:
    """Return the QR code of ``url`` as an inline SVG element.

    Cheap to build and to draw: a fixed mask pattern spares qrcode's evaluation of all eight
    (pure Python, most of its time), and the modules are one stroked path of horizontal runs,
    two points each, because WeasyPrint parses SVG paths in Python point by point.
    """
    code = qrcode.QRCode(
        border=1, error_correction=qrcode.constants.ERROR_CORRECT_M, mask_pattern=2
    )
    code.add_data(url)
    code.make(fit=True)
    matrix = code.get_matrix()
    runs = []
    for y, row in enumerate(matrix):
        x, width = 0, len(row)
        while x < width:
            if row[x]:
                start = x
                while x < width and row[x]:
                    x += 1
                runs.append(f"M{start} {y}.5h{x - start}")
            else:
                x += 1
    size = len(matrix)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {size} {size}" '
        f'shape-rendering="crispEdges"><path stroke="#000" stroke-width="1" fill="none" '
        f'd="{"".join(runs)}"/></svg>'
    )


def html_to_pdf(html: str) -> bytes:
    """Render ``html`` with the house stylesheet and return the PDF bytes."""
    font_config, css = _font_config_and_css()
    document = HTML(string=html, base_url=str(settings.BASE_DIR))
    return document.write_pdf(
        stylesheets=[css],
        font_config=font_config,
        pdf_variant=PDF_VARIANT,
    )


def render_document(*, document_type: str, number: str, issued_at, data: dict) -> bytes:
    """Render the issued document from its snapshot; always in Hungarian, whoever runs it."""
    url = verification_url(number)
    context = {
        "d": data,
        "number": number,
        "issued_at": issued_at,
        "verify_url": url,
        "qr_svg": qr_svg(url),
        "phone": settings.GRATISZ_PHONE,
    }
    with translation.override("hu"):
        html = render_to_string(TEMPLATES[document_type], context)
    return html_to_pdf(html)


def render_address_sheet(*, recipient_name: str, address: str, number: str) -> bytes:
    """Render the sheet that goes in front of a letter (window envelope position)."""
    context = {
        "recipient_name": recipient_name,
        "address_lines": [line.strip() for line in address.split(",")],
        "number": number,
        "insurer": {"name": settings.INSURER_NAME, "address": settings.INSURER_ADDRESS},
    }
    with translation.override("hu"):
        html = render_to_string("certificates/pdf/address_sheet.html", context)
    return html_to_pdf(html)
