"""The reports as CSV, for a commissioner's spreadsheet: one row per report row, the
columns in the report's own order."""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence


def to_csv(rows: Sequence[Mapping[str, object]]) -> str:
    out = io.StringIO()
    if rows:
        writer = csv.DictWriter(out, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return out.getvalue()
