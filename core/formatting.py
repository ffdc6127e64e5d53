"""How numbers are written, everywhere: pages, e-mails, the health engine's reasons.

Plain Python (no Django): the health engine, which imports nothing of Django, writes its
reasons with it too, so a page and a reason never show one value two ways.
"""


def format_number(value) -> str:
    """Thousands separated, at most two decimals, no float noise: 12,000 / 1,142.8 / 59.02."""
    if value is None or value == "":
        return ""
    value = float(value)
    if value.is_integer():
        return f"{value:,.0f}"
    return f"{value:,.2f}".rstrip("0").rstrip(".")


def format_quantity(value, unit: str = "") -> str:
    """A number with its unit after a space: '59.02 %', '1,500 IOPS'."""
    text = format_number(value)
    return f"{text} {unit}" if text and unit else text
