"""Corporate plan deliverables, improvement actions and risks beside the PIs
(docs/contracts.md, "Plan files: deliverables, actions and risks")."""
