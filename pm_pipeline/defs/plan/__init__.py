"""Corporate plan deliverables, improvement actions and risks beside the PIs (DESIGN 3.6)."""
