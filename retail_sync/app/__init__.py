"""Application entry points the CLI calls: the demo, ingest and what a run's outcome says.

The one layer above `retail_sync.definitions`: it builds the definitions and runs jobs on an
instance. Nothing below it imports it (the import-linter contract in pyproject.toml holds this).
"""
