"""safetywashing: does an AI safety benchmark measure safety, or mostly capabilities?

The package implements the meta-analysis of Ren et al., "Safetywashing: Do AI Safety
Benchmarks Actually Measure Safety Progress?" (arXiv 2407.21792): a capability score is
the first principal component of a panel of capability benchmarks, and a safety
benchmark's *capabilities correlation* is its Spearman correlation with that score.
"""

from __future__ import annotations

__version__ = "0.1.0"
