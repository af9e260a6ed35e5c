"""The synthetic sample council: its register, returns, benchmark and reference files, and the
demo that runs the cycle on them. Nothing else in the product imports this package."""
