"""English formats: the same date everywhere, ISO 8601 ("2026-12-06", "2026-12-06 10:00"), which
an English reader cannot misread as month-first or day-first."""

DATE_FORMAT = "Y-m-d"
SHORT_DATE_FORMAT = "Y-m-d"
TIME_FORMAT = "H:i"
DATETIME_FORMAT = "Y-m-d H:i"
SHORT_DATETIME_FORMAT = "Y-m-d H:i"
MONTH_DAY_FORMAT = "m-d"
