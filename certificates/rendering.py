"""Render documents to PDF with WeasyPrint.

WeasyPrint's cost is per box (element, line, table cell), almost all of it in Python, so the
templates keep the box count low and each process keeps what can be reused (see
``bench/certificates.py`` for the figures):

- one ``FontConfiguration`` (fonts, and the line-height struts it caches), the parsed house
  stylesheet and a lean copy of the user-agent stylesheet, built once per process;
- the QR code as a small PNG, not an inline SVG;
- fixed table layouts, separate cell borders, two font faces (DejaVu Sans and its bold).

Fonts are subset (not ``full_fonts``) so a one-page certificate stays small; the output is
PDF/A-3u, so that ő and ű come back out of text extraction.
"""

import base64
import io
import threading
from dataclasses import dataclass

import qrcode
from django.conf import settings
from django.template import Engine
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from PIL import Image
from weasyprint import CSS, HTML
from weasyprint import html as weasyprint_html
from weasyprint.text.fonts import FontConfiguration

PDF_VARIANT = "pdf/a-3u"

TEMPLATES = {
    "damage_history": "certificates/pdf/damage_history.html",
    "damage_history_en": "certificates/pdf/damage_history.html",
    "fleet_damage_history": "certificates/pdf/fleet_damage_history.html",
    "coverage": "certificates/pdf/coverage.html",
    "green_card": "certificates/pdf/green_card.html",
    "premium_status": "certificates/pdf/premium_status.html",
    "invoice_copy": "certificates/pdf/invoice_copy.html",
    "policy_copy": "certificates/pdf/policy_copy.html",
}


@dataclass(frozen=True)
class _Resources:
    font_config: FontConfiguration
    house_css: CSS
    user_agent_css: CSS


_lock = threading.Lock()
_resources: _Resources | None = None


def lean_user_agent_css_text() -> str:
    """Return WeasyPrint's HTML user-agent stylesheet without its universal pseudo-element rules.

    ``::marker``, ``::footnote-call``, ``::footnote-marker``, ``::note-*`` name no element, so
    they match every element and WeasyPrint computes those pseudo-elements' styles for each:
    about 6% of a certificate's render time, for lists, footnotes and notes that no document
    has. The ``@counter-style`` rules go too: WeasyPrint registers them once, at import. Each
    rule of that file is on one line.
    """
    return "\n".join(
        line
        for line in weasyprint_html.UA.splitlines()
        if not line.lstrip().startswith(("::", "@counter-style"))
    )


def _get_resources() -> _Resources:
    """Return this process's font configuration and parsed stylesheets, built once."""
    global _resources
    if _resources is None:
        with _lock:
            if _resources is None:
                font_config = FontConfiguration()
                css_text = Engine.get_default().get_template("certificates/pdf/document.css").source
                _resources = _Resources(
                    font_config=font_config,
                    house_css=CSS(string=css_text, font_config=font_config),
                    user_agent_css=CSS(string=lean_user_agent_css_text()),
                )
    return _resources


class _HTML(HTML):
    """An HTML document styled with the lean user-agent stylesheet (documents have no forms).

    ``_ua_stylesheets`` is WeasyPrint's (pinned) hook for it; should a release drop the hook,
    the documents still render the same, only slower (a test watches the hook).
    """

    def _ua_stylesheets(self, *args, **kwargs):
        return [_get_resources().user_agent_css]


def verification_url(number: str) -> str:
    """Return the public URL the QR code leads to."""
    return settings.PUBLIC_BASE_URL + reverse("certificates:verify", args=[number])


def qr_png_data_uri(url: str) -> str:
    """Return the QR code of ``url`` as a ``data:`` URI of a PNG with one pixel per module.

    WeasyPrint embeds a grey-scale PNG as it is (no re-encoding) and draws it as one image
    operator, scaled up without smoothing (``image-rendering: pixelated``); an inline SVG of the
    same code costs ~10 ms per document, parsed and drawn in Python point by point. A fixed mask
    pattern spares qrcode's evaluation of all eight (pure Python, most of its time).
    """
    code = qrcode.QRCode(
        border=1, error_correction=qrcode.constants.ERROR_CORRECT_M, mask_pattern=2
    )
    code.add_data(url)
    code.make(fit=True)
    matrix = code.get_matrix()
    size = len(matrix)
    image = Image.frombytes(
        "L", (size, size), bytes(0 if dark else 255 for row in matrix for dark in row)
    )
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def html_to_pdf(html: str) -> bytes:
    """Render ``html`` with the house stylesheet and return the PDF bytes."""
    resources = _get_resources()
    document = _HTML(string=html, base_url=str(settings.BASE_DIR))
    return document.write_pdf(
        stylesheets=[resources.house_css],
        font_config=resources.font_config,
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
        "qr": qr_png_data_uri(url),
        "phone": settings.GRATISZ_PHONE,
        "bilingual": document_type == "damage_history_en",
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
