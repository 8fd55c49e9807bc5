from django import template

from pledgeloop.lib.masking import mask_name as _mask_name
from pledgeloop.lib.masking import mask_phone as _mask_phone

register = template.Library()


@register.filter
def mask_phone(value: str) -> str:
    return _mask_phone(value)


@register.filter
def mask_name(value: str) -> str:
    return _mask_name(value)
