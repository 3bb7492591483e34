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

#: Most digits of an integer in a JSON results file: a float overflows at 309 digits,
#: and Python refuses to read more than 4,300.
MAX_INT_DIGITS = 300

#: Largest scores table read, in megabytes (``--max-file-size``); the paper's files are
#: under 0.2 MB and a full leaderboard export a few MB.
MAX_TABLE_MB = 64.0

#: Most rows (models, or model-benchmark pairs of a long table) read (``--max-rows``).
MAX_ROWS = 200_000

#: Most columns read (``--max-columns``).
MAX_COLUMNS = 5_000

#: Most bootstrap resamples or permutations (2,000 is usual; 100,000 already takes
#: minutes and gigabytes on a paper-sized panel).
MAX_RESAMPLES = 100_000

#: Most random halvings of the models when ``items`` cross-fits its subset (``--repeats``;
#: 5 is usual, and each halving runs the selection twice).
MAX_REPEATS = 1_000

#: Largest simulated panel of ``power`` (models), most capability benchmarks per
#: simulated panel, and most simulated panels per size.
MAX_POWER_MODELS = 10_000
MAX_POWER_BENCHMARKS = 200
MAX_POWER_PANELS = 100_000
