"""The thin Dagster layer: one folder per domain turning domain functions into definitions."""

import warnings

import dagster as dg

# Single-run backfill policies are how one run covers a range of dates and shops; Dagster still
# labels the parameter beta, which would print a warning for every asset at load time.
warnings.filterwarnings("ignore", category=dg.BetaWarning, message=".*backfill_policy.*")
