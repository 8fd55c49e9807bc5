"""Small inline SVG icons, in place of emoji (which render as empty boxes on machines without
an emoji font, such as Debian's Chromium).

    {% load pledgeloop %}{% icon "home" %}          an icon by name
    {% category_icon order.category %}              a category's icon, from its emoji

Icons are decorative: aria-hidden, never focusable, drawn in the text colour at 1.2 em; the
text label beside them says what they mean. Attributes only (no style): CSP-safe.

The drawings are from Tabler Icons 3.51.0 (outline), MIT License, Copyright (c) 2020-2026
Paweł Kuna, https://tabler.io/icons.
"""

from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

ICONS = {
    "home": (
        '<path d="M5 12l-2 0l9 -9l9 9l-2 0"/><path d="M5 12v7a2 2 0 0 0 2 2h10a2 2 0 0 0 '
        '2 -2v-7"/><path d="M9 21v-6a2 2 0 0 1 2 -2h2a2 2 0 0 1 2 2v6"/>'
    ),
    "clipboard-list": (
        '<path d="M9 5h-2a2 2 0 0 0 -2 2v12a2 2 0 0 0 2 2h10a2 2 0 0 0 2 -2v-12a2 2 0 0 0'
        ' -2 -2h-2"/><path d="M9 5a2 2 0 0 1 2 -2h2a2 2 0 0 1 2 2a2 2 0 0 1 -2 2h-2a2 2 0'
        ' 0 1 -2 -2"/><path d="M9 12l.01 0"/><path d="M13 12l2 0"/><path d="M9 16l.01 0"/'
        '><path d="M13 16l2 0"/>'
    ),
    "map-pin": (
        '<path d="M9 11a3 3 0 1 0 6 0a3 3 0 0 0 -6 0"/><path d="M17.657 16.657l-4.243 4.2'
        '43a2 2 0 0 1 -2.827 0l-4.244 -4.243a8 8 0 1 1 11.314 0"/>'
    ),
    "heart-handshake": (
        '<path d="M19.5 12.572l-7.5 7.428l-7.5 -7.428a5 5 0 1 1 7.5 -6.566a5 5 0 1 1 7.5 '
        '6.572"/><path d="M12 6l-3.293 3.293a1 1 0 0 0 0 1.414l.543 .543c.69 .69 1.81 .69'
        ' 2.5 0l1 -1a3.182 3.182 0 0 1 4.5 0l2.25 2.25"/><path d="M12.5 15.5l2 2"/><path '
        'd="M15 13l2 2"/>'
    ),
    "clock": ('<path d="M3 12a9 9 0 1 0 18 0a9 9 0 0 0 -18 0"/><path d="M12 7v5l3 3"/>'),
    "phone": (
        '<path d="M5 4h4l2 5l-2.5 1.5a11 11 0 0 0 5 5l1.5 -2.5l5 2v4a2 2 0 0 1 -2 2a16 16'
        ' 0 0 1 -15 -15a2 2 0 0 1 2 -2"/>'
    ),
    "circle-check": ('<path d="M3 12a9 9 0 1 0 18 0a9 9 0 1 0 -18 0"/><path d="M9 12l2 2l4 -4"/>'),
    "search": ('<path d="M3 10a7 7 0 1 0 14 0a7 7 0 1 0 -14 0"/><path d="M21 21l-6 -6"/>'),
    "chart-bar": (
        '<path d="M3 13a1 1 0 0 1 1 -1h4a1 1 0 0 1 1 1v6a1 1 0 0 1 -1 1h-4a1 1 0 0 1 -1 -'
        '1l0 -6"/><path d="M15 9a1 1 0 0 1 1 -1h4a1 1 0 0 1 1 1v10a1 1 0 0 1 -1 1h-4a1 1 '
        '0 0 1 -1 -1l0 -10"/><path d="M9 5a1 1 0 0 1 1 -1h4a1 1 0 0 1 1 1v14a1 1 0 0 1 -1'
        ' 1h-4a1 1 0 0 1 -1 -1l0 -14"/><path d="M4 20h14"/>'
    ),
    "news": (
        '<path d="M16 6h3a1 1 0 0 1 1 1v11a2 2 0 0 1 -4 0v-13a1 1 0 0 0 -1 -1h-10a1 1 0 0'
        ' 0 -1 1v12a3 3 0 0 0 3 3h11"/><path d="M8 8l4 0"/><path d="M8 12l4 0"/><path d="'
        'M8 16l4 0"/>'
    ),
    "qrcode": (
        '<path d="M4 5a1 1 0 0 1 1 -1h4a1 1 0 0 1 1 1v4a1 1 0 0 1 -1 1h-4a1 1 0 0 1 -1 -1'
        'l0 -4"/><path d="M7 17l0 .01"/><path d="M14 5a1 1 0 0 1 1 -1h4a1 1 0 0 1 1 1v4a1'
        ' 1 0 0 1 -1 1h-4a1 1 0 0 1 -1 -1l0 -4"/><path d="M7 7l0 .01"/><path d="M4 15a1 1'
        ' 0 0 1 1 -1h4a1 1 0 0 1 1 1v4a1 1 0 0 1 -1 1h-4a1 1 0 0 1 -1 -1l0 -4"/><path d="'
        'M17 7l0 .01"/><path d="M14 14l3 0"/><path d="M20 14l0 .01"/><path d="M14 14l0 3"'
        '/><path d="M14 20l3 0"/><path d="M17 17l3 0"/><path d="M20 17l0 3"/>'
    ),
    "mail": (
        '<path d="M3 7a2 2 0 0 1 2 -2h14a2 2 0 0 1 2 2v10a2 2 0 0 1 -2 2h-14a2 2 0 0 1 -2'
        ' -2v-10"/><path d="M3 7l9 6l9 -6"/>'
    ),
    "trash": (
        '<path d="M4 7l16 0"/><path d="M10 11l0 6"/><path d="M14 11l0 6"/><path d="M5 7l1'
        ' 12a2 2 0 0 0 2 2h8a2 2 0 0 0 2 -2l1 -12"/><path d="M9 7v-3a1 1 0 0 1 1 -1h4a1 1'
        ' 0 0 1 1 1v3"/>'
    ),
    "key": (
        '<path d="M16.555 3.843l3.602 3.602a2.877 2.877 0 0 1 0 4.069l-2.643 2.643a2.877 '
        "2.877 0 0 1 -4.069 0l-.301 -.301l-6.558 6.558a2 2 0 0 1 -1.239 .578l-.175 .008h-"
        "1.172a1 1 0 0 1 -.993 -.883l-.007 -.117v-1.172a2 2 0 0 1 .467 -1.284l.119 -.13l."
        "414 -.414h2v-2h2v-2l2.144 -2.144l-.301 -.301a2.877 2.877 0 0 1 0 -4.069l2.643 -2"
        '.643a2.877 2.877 0 0 1 4.069 0"/><path d="M15 9h.01"/>'
    ),
    "pencil": (
        '<path d="M4 20h4l10.5 -10.5a2.828 2.828 0 1 0 -4 -4l-10.5 10.5v4"/><path d="M13.'
        '5 6.5l4 4"/>'
    ),
    "hand-stop": (
        '<path d="M8 13v-7.5a1.5 1.5 0 0 1 3 0v6.5"/><path d="M11 5.5v-2a1.5 1.5 0 1 1 3 '
        '0v8.5"/><path d="M14 5.5a1.5 1.5 0 0 1 3 0v6.5"/><path d="M17 7.5a1.5 1.5 0 0 1 '
        "3 0v8.5a6 6 0 0 1 -6 6h-2h.208a6 6 0 0 1 -5.012 -2.7a69.74 69.74 0 0 1 -.196 -.3"
        "c-.312 -.479 -1.407 -2.388 -3.286 -5.728a1.5 1.5 0 0 1 .536 -2.022a1.867 1.867 0"
        ' 0 1 2.28 .28l1.47 1.47"/>'
    ),
    "scooter": (
        '<path d="M16 17a2 2 0 1 0 4 0a2 2 0 1 0 -4 0"/><path d="M4 17a2 2 0 1 0 4 0a2 2 '
        '0 1 0 -4 0"/><path d="M8 17h5a6 6 0 0 1 5 -5v-5a2 2 0 0 0 -2 -2h-1"/>'
    ),
    "notes": (
        '<path d="M5 5a2 2 0 0 1 2 -2h10a2 2 0 0 1 2 2v14a2 2 0 0 1 -2 2h-10a2 2 0 0 1 -2'
        ' -2l0 -14"/><path d="M9 7l6 0"/><path d="M9 11l6 0"/><path d="M9 15l4 0"/>'
    ),
    "users": (
        '<path d="M5 7a4 4 0 1 0 8 0a4 4 0 1 0 -8 0"/><path d="M3 21v-2a4 4 0 0 1 4 -4h4a'
        '4 4 0 0 1 4 4v2"/><path d="M16 3.13a4 4 0 0 1 0 7.75"/><path d="M21 21v-2a4 4 0 '
        '0 0 -3 -3.85"/>'
    ),
    "camera": (
        '<path d="M5 7h1a2 2 0 0 0 2 -2a1 1 0 0 1 1 -1h6a1 1 0 0 1 1 1a2 2 0 0 0 2 2h1a2 '
        '2 0 0 1 2 2v9a2 2 0 0 1 -2 2h-14a2 2 0 0 1 -2 -2v-9a2 2 0 0 1 2 -2"/><path d="M9'
        ' 13a3 3 0 1 0 6 0a3 3 0 0 0 -6 0"/>'
    ),
    "old": (
        '<path d="M11 21l-1 -4l-2 -3v-6"/><path d="M5 14l-1 -3l4 -3l3 2l3 .5"/><path d="M'
        '7 4a1 1 0 1 0 2 0a1 1 0 1 0 -2 0"/><path d="M7 17l-2 4"/><path d="M16 21v-8.5a1.'
        '5 1.5 0 0 1 3 0v.5"/>'
    ),
    "leaf": (
        '<path d="M5 21c.5 -4.5 2.5 -8 7 -10"/><path d="M9 18c6.218 0 10.5 -3.288 11 -12v'
        '-2h-4.014c-9 0 -11.986 4 -12 9c0 1 0 3 2 5h3l.014 0"/>'
    ),
    "tools": (
        '<path d="M3 21h4l13 -13a1.5 1.5 0 0 0 -4 -4l-13 13v4"/><path d="M14.5 5.5l4 4"/>'
        '<path d="M12 8l-5 -5l-4 4l5 5"/><path d="M7 8l-1.5 1.5"/><path d="M16 12l5 5l-4 '
        '4l-5 -5"/><path d="M16 17l-1.5 1.5"/>'
    ),
    "scale": (
        '<path d="M7 20l10 0"/><path d="M6 6l6 -1l6 1"/><path d="M12 3l0 17"/><path d="M9'
        ' 12l-3 -6l-3 6a3 3 0 0 0 6 0"/><path d="M21 12l-3 -6l-3 6a3 3 0 0 0 6 0"/>'
    ),
    "stethoscope": (
        '<path d="M6 4h-1a2 2 0 0 0 -2 2v3.5a5.5 5.5 0 0 0 11 0v-3.5a2 2 0 0 0 -2 -2h-1"/'
        '><path d="M8 15a6 6 0 1 0 12 0v-3"/><path d="M11 3v2"/><path d="M6 3v2"/><path d'
        '="M18 10a2 2 0 1 0 4 0a2 2 0 1 0 -4 0"/>'
    ),
    "tool": (
        '<path d="M7 10h3v-3l-3.5 -3.5a6 6 0 0 1 8 8l6 6a2 2 0 0 1 -3 3l-6 -6a6 6 0 0 1 -'
        '8 -8l3.5 3.5"/>'
    ),
    "calendar-event": (
        '<path d="M4 7a2 2 0 0 1 2 -2h12a2 2 0 0 1 2 2v12a2 2 0 0 1 -2 2h-12a2 2 0 0 1 -2 -2l0 '
        '-12"/><path d="M16 3l0 4"/><path d="M8 3l0 4"/><path d="M4 11l16 0"/><path d="M8 15h2v2h'
        '-2l0 -2"/>'
    ),
    "flag": (
        '<path d="M5 5a5 5 0 0 1 7 0a5 5 0 0 0 7 0v9a5 5 0 0 1 -7 0a5 5 0 0 0 -7 0v-9"/><path d="M5'
        ' 21v-7"/>'
    ),
    "plug-connected": (
        '<path d="M7 12l5 5l-1.5 1.5a3.536 3.536 0 1 1 -5 -5l1.5 -1.5"/><path d="M17 12l-5 -5l1.5 '
        '-1.5a3.536 3.536 0 1 1 5 5l-1.5 1.5"/><path d="M3 21l2.5 -2.5"/><path d="M18.5 5.5l2.5 '
        '-2.5"/><path d="M10 11l-2 2"/><path d="M13 14l-2 2"/>'
    ),
}

# Categories keep an emoji (Category.icon, editable by the street): drawn as the matching icon.
EMOJI = {
    "🏠": "home",
    "📋": "clipboard-list",
    "📍": "map-pin",
    "🤝": "heart-handshake",
    "🕒": "clock",
    "⏱": "clock",
    "☎": "phone",
    "📞": "phone",
    "✅": "circle-check",
    "🔍": "search",
    "📊": "chart-bar",
    "📰": "news",
    "🔳": "qrcode",
    "✉": "mail",
    "🗑": "trash",
    "🔑": "key",
    "✍": "pencil",
    "🙋": "hand-stop",
    "🛵": "scooter",
    "📝": "notes",
    "👥": "users",
    "📷": "camera",
    "👵": "old",
    "🧓": "old",
    "👴": "old",
    "🧹": "leaf",
    "🛠": "tools",
    "⚖": "scale",
    "🩺": "stethoscope",
    "🔧": "tool",
}
FALLBACK = "heart-handshake"


def icon_svg(name: str) -> SafeString:
    """The icon called `name` as inline SVG; an unknown name is a programming error."""
    return format_html(
        '<svg class="icon" aria-hidden="true" focusable="false" width="24" height="24" '
        'viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2" '
        'stroke-linecap="round" stroke-linejoin="round">{}</svg>',
        mark_safe(ICONS[name]),  # noqa: S308 - constant markup of this module
    )


def icon_for_emoji(emoji: str) -> str:
    """The icon name for an emoji (variation selectors ignored); the handshake when unknown."""
    return EMOJI.get((emoji or "").replace("\ufe0f", "").strip(), FALLBACK)
