"""How long consent to share holds before it is asked again (no I/O, no clock).

While a case is open, the consent in force is reconfirmed with the family at least once a
year: it is due on the anniversary of the day it was given (consent given on 29 February is
due on 28 February in a year without one). Recording consent again, with the day the family
gave it, is the reconfirmation: the next is due a year from that day.
"""

from __future__ import annotations

from datetime import date

RECONFIRM_EVERY_YEARS = 1


def reconfirm_by(given_on: date) -> date:
    """The day the consent given on `given_on` is due to be reconfirmed with the family."""
    year = given_on.year + RECONFIRM_EVERY_YEARS
    try:
        return given_on.replace(year=year)
    except ValueError:  # 29 February, in a year without one
        return given_on.replace(year=year, day=28)
