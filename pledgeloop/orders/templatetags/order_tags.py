"""`{% order_state order %}` and `{% order_deadline order %}`: an order's state (with the
overdue tag) and its running deadline, as the needs list, the order pages, the member's home
and the nearby list show them.

Tags rather than included templates: lists show them on every row, and an include costs a
template render each time (the needs list's 50 rows spent about a third of the page's time
in its two includes).
"""

from django import template
from django.utils import formats, timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

register = template.Library()


def _day(moment) -> str:
    return formats.date_format(timezone.localtime(moment), "MONTH_DAY_FORMAT")


def _day_time(moment) -> str:
    local = timezone.localtime(moment)
    return f"{formats.date_format(local, 'MONTH_DAY_FORMAT')} {formats.time_format(local, 'H:i')}"


@register.simple_tag
def order_state(order) -> SafeString:
    """The state's label, and "Overdue" when a deadline running for it has passed."""
    state = format_html('<span class="order-state os-{}">{}</span>', order.state, order.state_label)
    if order.overdue:
        state += format_html(' <span class="overdue-tag">{}</span>', _("Overdue"))
    return state


@register.simple_tag
def order_deadline(order) -> SafeString:
    """The deadline that runs (Order.WAITING: respond by; Order.TAKEN: finish by), or when
    it was done; a dash when none."""
    if order.is_waiting:
        if order.respond_by:
            return format_html(
                '<span class="hint">{}</span> <span class="when">{}</span>',
                _("respond by"),
                _day_time(order.respond_by),
            )
        return mark_safe("")  # noqa: S308 - empty
    if order.is_taken:
        if order.finish_by:
            return format_html(
                '<span class="hint">{}</span> <span class="when">{}</span>',
                _("finish by"),
                _day_time(order.finish_by),
            )
        return mark_safe("")  # noqa: S308 - empty
    if order.done_at:
        return format_html('<span class="hint">{}</span> {}', _("done"), _day(order.done_at))
    return mark_safe("—")  # noqa: S308 - constant
