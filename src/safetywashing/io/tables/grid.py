"""A table file split into cells: what a tokenizer gives the one reader of score tables.

A tokenizer turns a file into a :class:`Grid`: the header and, column by column, either
the cells' text or, where a column is cleanly numeric, its values as doubles. Two
tokenizers exist and differ in nothing else: the standard library's ``csv`` module
(:mod:`~safetywashing.io.tables.rows`, every cell as text; small files, DataFrames) and
pyarrow (:mod:`~safetywashing.io.tables.arrow`, large files and Parquet). The readers of
wide and long tables (:mod:`~safetywashing.io.tables.wide`,
:mod:`~safetywashing.io.tables.long`) read a grid and never the file, so a table reads
the same whichever tokenizer split it.

A numeric column holds only cells that :func:`~safetywashing.io.tables.cells.parse_score`
accepts (numbers within the supported range, or missing-value tokens as NaN); every other
column, and every column a reader asks for as text, keeps its text.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Literal

import numpy as np
import numpy.typing as npt

from safetywashing.io.tables.rows import Rows

FloatArray = npt.NDArray[np.float64]


#: Maps a stripped header to the positions whose cells the reader needs as text.
TextPositions = Callable[[list[str]], set[int]]

#: CSV files smaller than this go to the row tokenizer (below ~100,000 cells it is
#: quicker than importing pyarrow).
MIN_CSV_BYTES = 1 << 19

#: Suffixes of the text tables the pyarrow tokenizer reads (when they are large enough).
TEXT_TABLE_SUFFIXES = frozenset({".csv", ".tsv", ".txt"})


@dataclass(frozen=True)
class Grid:
    """A table's header and cells, column by column, as a tokenizer split them."""

    #: Column names, stripped.
    header: list[str]
    #: Each row's number as a spreadsheet shows it (messages name rows by it).
    row_numbers: list[int]
    #: The cells of the columns read as text, by header position; one per row.
    texts: dict[int, Sequence[str]]
    #: ndarray of shape (n_rows, len(block_positions)) or None: The columns read as numbers, NaN
    #: where missing.
    block: FloatArray | None = None
    #: Header positions of the columns of ``block``, in order.
    block_positions: tuple[int, ...] = ()
    #: tuple of (int, int): Rows with more or fewer cells than the header: (row number, cells).
    #: Their text is cut or padded with empty cells to the header's width.
    ragged: tuple[tuple[int, int], ...] = ()
    #: list of (int, list of str) or None: The rows as read, when the tokenizer read rows (a long
    #: table reads them).
    body: list[tuple[int, list[str]]] | None = None
    #: {"C", "F"}: Memory order of a score matrix built from this grid: row-major as the row
    #: tokenizer always gave, column-major as pyarrow fills ``block``.
    order: Literal["C", "F"] = "C"
    #: The file's SHA-256 when the tokenizer computed it while reading.
    sha256: str | None = None
    _block_index: dict[int, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_block_index", {p: k for k, p in enumerate(self.block_positions)})

    @classmethod
    def from_rows(cls, rows: Rows, *, sha256: str | None = None) -> Grid:
        """A grid of text columns from a header and numbered rows (the row tokenizer)."""
        header = [cell.strip() for cell in rows.header]
        width = len(header)
        ragged = tuple((number, len(row)) for number, row in rows.body if len(row) != width)
        cells = [row for _, row in rows.body]
        if ragged:
            cells = [row if len(row) == width else (row + [""] * width)[:width] for row in cells]
        columns = list(zip(*cells, strict=True)) if cells else [() for _ in header]
        return cls(
            header=header,
            row_numbers=[number for number, _ in rows.body],
            texts=dict(enumerate(columns)),
            ragged=ragged,
            body=rows.body,
            sha256=sha256,
        )

    @property
    def n_rows(self) -> int:
        """Number of rows under the header."""
        return len(self.row_numbers)

    def is_numeric(self, position: int) -> bool:
        """Whether the column at ``position`` was read as numbers."""
        return position in self._block_index

    def text(self, position: int) -> Sequence[str]:
        """The cells of a column read as text.

        Raises
        ------
        TypeError
            If the column was read as numbers (a reader asked for text it did not
            declare to the tokenizer).
        """
        if position not in self.texts:
            raise TypeError(f"column {position} was read as numbers, not text")
        return self.texts[position]

    def numbers(self, position: int) -> FloatArray:
        """The values of a column read as numbers.

        Raises
        ------
        TypeError
            If the column was read as text.
        """
        if self.block is None or position not in self._block_index:
            raise TypeError(f"column {position} was read as text, not numbers")
        return self.block[:, self._block_index[position]]

    def rows(self) -> list[tuple[int, list[str]]]:
        """The rows with their numbers, every column as text (for long tables)."""
        if self.body is not None:
            return self.body
        columns = [self.text(p) for p in range(len(self.header))]
        return [
            (number, list(cells))
            for number, cells in zip(self.row_numbers, zip(*columns, strict=True), strict=True)
        ]

    def take(self, indices: Sequence[int]) -> Grid:
        """This grid with only the rows at ``indices`` (positions under the header), in
        that order."""
        chosen = list(indices)
        numbers = [self.row_numbers[i] for i in chosen]
        kept = set(numbers)
        return replace(
            self,
            row_numbers=numbers,
            texts={p: [cells[i] for i in chosen] for p, cells in self.texts.items()},
            block=None if self.block is None else self.block[chosen],
            ragged=tuple(r for r in self.ragged if r[0] in kept),
            body=None if self.body is None else [self.body[i] for i in chosen],
        )

    def drop_leading(self, count: int) -> Grid:
        """This grid without its first ``count`` rows."""
        if count == 0:
            return self
        kept = self.row_numbers[count:]
        first = kept[0] if kept else None
        return replace(
            self,
            row_numbers=kept,
            texts={p: cells[count:] for p, cells in self.texts.items()},
            block=None if self.block is None else self.block[count:],
            ragged=tuple(r for r in self.ragged if first is not None and r[0] >= first),
            body=None if self.body is None else self.body[count:],
        )
