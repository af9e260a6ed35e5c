"""Constants shared by the benchmarks tests (fixtures are in conftest.py)."""

KEY = "testkey-4c1f0a"
SECRET = "s3cret+/Value=9f2e7d"  # characters that Base64 and URLs both care about
AREAS = ["E07000999", "E07000170", "E07000171", "E12000004", "E92000001"]
