from django import template

from pledgeloop.lib.icons import icon_for_emoji, icon_svg
from pledgeloop.lib.masking import mask_name as _mask_name
from pledgeloop.lib.masking import mask_phone as _mask_phone
from pledgeloop.lib.moments import format_span
from pledgeloop.lib.numbers import format_hours, format_yuan

register = template.Library()


@register.filter
def mask_phone(value: str) -> str:
    return _mask_phone(value)


@register.filter
def mask_name(value: str) -> str:
    return _mask_name(value)


@register.filter
def hours(value) -> str:
    """{{ record.hours|hours }}: 20 → "20", 1.50 → "1.5" (lib.numbers.format_hours)."""
    return format_hours(value)


@register.filter
def yuan(value) -> str:
    """{{ project.budget|yuan }}: 26万元, 2,600元; "260,000 yuan" (lib.numbers.format_yuan)."""
    return format_yuan(value)


@register.simple_tag
def icon(name: str) -> str:
    """{% icon "home" %}: a small decorative inline SVG (lib.icons), in place of an emoji."""
    return icon_svg(name)


@register.simple_tag
def category_icon(category) -> str:
    """{% category_icon order.category %}: the category's emoji drawn as an inline SVG."""
    return icon_svg(icon_for_emoji(getattr(category, "icon", "")))


@register.simple_tag
def moment_span(start, end) -> str:
    """{% moment_span event.starts_at event.ends_at %}: the day written once when both fall
    on it (lib.moments.format_span)."""
    return format_span(start, end)
