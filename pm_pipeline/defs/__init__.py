"""One folder per domain, each owning its assets, checks, table schemas, jobs, schedules and
sensors and exporting one `Definitions` (its `definitions.py`) that `pm_pipeline.definitions`
merges."""
