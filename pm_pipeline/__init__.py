"""pm_pipeline: a council's quarterly performance cycle as Dagster assets."""
