"""Hungarian formats of every screen, e-mail and export: one date form, "2026. 12. 06." and
"2026. 12. 06. 10:00" (AkH. 12), and amounts grouped by a space. Read before Django's own
``hu`` formats (FORMAT_MODULE_PATH); what is not set here (input formats) comes from Django."""

DATE_FORMAT = "Y. m. d."
SHORT_DATE_FORMAT = "Y. m. d."
TIME_FORMAT = "H:i"
DATETIME_FORMAT = "Y. m. d. H:i"
SHORT_DATETIME_FORMAT = "Y. m. d. H:i"
YEAR_MONTH_FORMAT = "Y. F"
MONTH_DAY_FORMAT = "m. d."
DECIMAL_SEPARATOR = ","
THOUSAND_SEPARATOR = "\xa0"
NUMBER_GROUPING = 3
