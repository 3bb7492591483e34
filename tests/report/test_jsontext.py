"""The fast JSON writer gives the standard library's text, byte for byte."""

from __future__ import annotations

import io
import json
import math
from enum import StrEnum
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from safetywashing.report.jsontext import dump, dumps


def standard(document: Any, indent: int = 2) -> str:
    return json.dumps(document, indent=indent, ensure_ascii=False, allow_nan=False)


scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(),
)
documents = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=5),
        st.lists(children, max_size=3).map(tuple),
        st.dictionaries(st.text(max_size=6), children, max_size=5),
    ),
    max_leaves=40,
)


@settings(max_examples=300)
@given(documents, st.integers(0, 4))
def test_same_text_as_the_standard_library(document: Any, indent: int) -> None:
    assert dumps(document, indent=indent) == standard(document, indent)
    stream = io.StringIO()
    dump(document, stream, indent=indent, end="\n")
    assert stream.getvalue() == standard(document, indent) + "\n"


class Colour(StrEnum):
    red = "red"


@pytest.mark.parametrize(
    "document",
    [
        {3: "int key", 2.5: "float key", True: "bool key", None: "null key"},
        {"enum": Colour.red, "numpy float": np.float64(0.1), "nested": [[], {}, [[1]]]},
        ["é", "\u2028", '"quoted"', "tab\t", "\x00"],
    ],
)
def test_keys_subclasses_and_escapes(document: Any) -> None:
    assert dumps(document) == standard(document)


@pytest.mark.parametrize("bad", [math.nan, math.inf, {"x": [1, np.int64(3)]}, {(1, 2): 3}])
def test_what_the_standard_library_refuses_it_refuses_the_same_way(bad: Any) -> None:
    with pytest.raises((ValueError, TypeError)) as expected:
        standard(bad)
    with pytest.raises(expected.type, match=str(expected.value).split(":")[0]):
        dumps(bad)
