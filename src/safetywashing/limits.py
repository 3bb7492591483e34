"""The documented limits on what the tool reads and computes.

Each limit keeps a hostile or mistaken input from ending in a wrong number, a hang or
unbounded memory; an input beyond one is refused up front with a sentence that names
the limit (and, where one exists, the option that raises it).
"""

from __future__ import annotations

#: Largest magnitude of a score or compute cell. Beyond it, squares and sums in the
#: standardization overflow double precision (about 1.8e308), so such a value could only
#: end in a wrong or empty result.
MAX_MAGNITUDE = 1e100

#: Longest cell text read as a number.
MAX_NUMBER_CHARS = 100

#: Most digits of an integer in a JSON results file (Python refuses more than 4,300,
#: and a float overflows long before).
MAX_INT_DIGITS = 400

#: Deepest nesting of a JSON file (results, panels, metrics maps).
MAX_JSON_DEPTH = 200
