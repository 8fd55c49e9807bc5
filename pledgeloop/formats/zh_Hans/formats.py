# Django's zh_Hans pads the month ("09月8日"); people write 9月8日, as the full date 2026年9月8日.
MONTH_DAY_FORMAT = "n月j日"
