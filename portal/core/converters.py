"""Path converters of the portal's URLs: a business month's `<year:year>/<month:month>/`. A year outside 2000-2100
or a month outside 1-12 matches no URL (`to_python` refuses it), so it is a 404 before any view runs, and no view
checks it again. Any number reverses (`to_url`), so a link pattern can be built once with placeholders
(`portal.core.constant_urls.pattern`)."""

from __future__ import annotations

from django.urls import register_converter


class _Bounded:
    regex = "[0-9]{1,12}"
    lowest = highest = 0

    def to_python(self, value: str) -> int:
        number = int(value)
        if not self.lowest <= number <= self.highest:
            raise ValueError(f"{number} is outside {self.lowest}-{self.highest}")  # Django answers 404
        return number

    def to_url(self, value: int) -> str:
        return str(int(value))


class YearConverter(_Bounded):
    lowest, highest = 2000, 2100


class MonthConverter(_Bounded):
    lowest, highest = 1, 12


def register() -> None:
    """Called once by core's AppConfig.ready, before any URL configuration is read."""
    register_converter(YearConverter, "year")
    register_converter(MonthConverter, "month")
