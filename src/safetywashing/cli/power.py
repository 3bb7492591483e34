"""``safetywashing power``: how many models does a benchmark need?"""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from safetywashing.cli.command import command
from safetywashing.cli.options import SchedulerOption, ThresholdOption, WorkersOption
from safetywashing.cli.output import OutputFormat, OutputOptions, output_console
from safetywashing.core.decision import PAPER_THRESHOLD
from safetywashing.core.errors import InputError
from safetywashing.core.limits import MAX_POWER_BENCHMARKS, MAX_POWER_MODELS, MAX_POWER_PANELS


def _sizes(text: str) -> list[int]:
    sizes: list[int] = []
    for part in text.split(","):
        part = part.strip()
        try:
            sizes.append(int(part))
        except ValueError:
            raise InputError(
                f"--models takes whole numbers separated by commas; '{part}' is not one "
                "(e.g. --models 20,30,50)."
            ) from None
    return sizes


@command(output=OutputOptions)
def power_command(
    output: OutputOptions,
    rho: Annotated[
        float, typer.Option("--rho", help="Planted correlation with latent capability.")
    ] = 0.60,
    models: Annotated[
        str, typer.Option("--models", help="Panel sizes, comma-separated.")
    ] = "20,30,50,100",
    panels: Annotated[int, typer.Option("--panels", help="Simulated panels per size.")] = 2000,
    n_resamples: Annotated[
        str | None,
        typer.Option(
            "--bootstrap",
            metavar="N",
            help="Read every panel with the audit's bootstrap (N resamples) and permutation "
            "test instead of the Fisher-z approximation (slow; use fewer --panels).",
        ),
    ] = None,
    confidence: Annotated[float, typer.Option("--confidence", help="Interval level.")] = 0.95,
    alpha: Annotated[
        float, typer.Option("--alpha", help="Level of the test of a zero correlation.")
    ] = 0.05,
    threshold: ThresholdOption = PAPER_THRESHOLD,
    n_capability: Annotated[
        int, typer.Option("--capability-benchmarks", help="Capability benchmarks per panel.")
    ] = 12,
    seed: Annotated[int | None, typer.Option("--seed", help="Seed of the simulation.")] = None,
    scheduler: SchedulerOption = None,
    workers: WorkersOption = None,
) -> None:
    """Power to detect a capabilities correlation, chance of each verdict, interval width."""
    from safetywashing.cli.progress import terminal_progress
    from safetywashing.power.compute import POWER_RESAMPLES, power_analysis
    from safetywashing.report.power import power_json, print_power
    from safetywashing.uncertainty.settings import parse_count

    output.require((OutputFormat.table, OutputFormat.json), "power")
    # Read from its text here; the analysis's settings check it.
    resamples = (
        None
        if n_resamples is None
        else parse_count(n_resamples, "n_resamples", "bootstrap resamples")
    )
    sizes = _sizes(models)
    for flag, value, limit in (
        ("--models", max(sizes, default=0), MAX_POWER_MODELS),
        ("--capability-benchmarks", n_capability, MAX_POWER_BENCHMARKS),
        ("--panels", panels, MAX_POWER_PANELS),
    ):
        if value > limit:
            raise InputError(
                f"{flag} {value} is more than the {limit} a simulation may have; give at most "
                f"{flag} {limit}."
            )
    result = power_analysis(
        rho=rho,
        models=sizes,
        panels=panels,
        engine="fisher" if resamples is None else "bootstrap",
        n_resamples=POWER_RESAMPLES if resamples is None else resamples,
        confidence=confidence,
        alpha=alpha,
        threshold=threshold,
        n_capability=n_capability,
        seed=seed,
        progress=terminal_progress(),
        scheduler=scheduler,
        workers=workers,
    )
    if output.output_format is OutputFormat.json:
        sys.stdout.write(power_json(result))
    else:
        print_power(result, output_console())


def register(app: typer.Typer) -> None:
    """Add the ``power`` command to the application."""
    app.command("power")(power_command)
