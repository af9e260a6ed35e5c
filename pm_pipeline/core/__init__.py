"""The core every domain stands on: periods, values, files and spreadsheets, the warehouse
resource and its table base, metadata, rule severities and the one mail client. It imports
nothing above it (import-linter checks this)."""
