"""Running pm_pipeline for real: the local service stack, backups and the BI exports."""
