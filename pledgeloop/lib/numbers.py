"""How numbers are written for people: one formatter for hours, used by every page and text,
and one for money (`format_yuan`).

Hours are stored to the hundredth (ServiceRecord.hours, DecimalField(decimal_places=2)) and
written with no trailing zeros and no exponent: 20 → "20", 100 → "100", 0.25 → "0.25",
1.50 → "1.5". Spreadsheet cells keep numbers as numbers; this is for text (pages, messages,
the diary's Markdown, feeds).
"""

from decimal import ROUND_HALF_UP, Decimal

from django.utils import translation

HUNDREDTH = Decimal("0.01")
NO_VALUE = "—"


def format_hours(value) -> str:
    """Hours as text: rounded half up to the hundredth, without trailing zeros."""
    if value is None or value == "":
        return NO_VALUE
    if not isinstance(value, Decimal):
        value = Decimal(str(value))
    text = f"{value.quantize(HUNDREDTH, rounding=ROUND_HALF_UP):f}"
    if "." in text:
        # Only zeros after the decimal point are dropped: "20.00" → "20", never "20" → "2".
        text = text.rstrip("0").rstrip(".")
    return "0" if text in {"-0", ""} else text


def format_yuan(amount) -> str:
    """An amount of money as people write it: 26万元 (and 2,600元 below ten thousand) in
    Chinese, "260,000 yuan" in English; whole yuan."""
    value = Decimal(amount).quantize(Decimal(1))
    if (translation.get_language() or "").startswith("zh"):
        if value >= 10000:
            wan = (value / 10000).quantize(Decimal("0.01")).normalize()
            return f"{wan:f}万元"
        return f"{value:,}元"
    return f"{value:,} yuan"
