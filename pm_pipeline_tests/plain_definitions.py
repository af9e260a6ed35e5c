"""The product's definitions with the browser-free PDF printer, for command-line runs that only
check that a PDF is written (`dagster asset materialize -m pm_pipeline_tests.plain_definitions`):
the same assets, jobs and resources, without a Chromium start per PDF."""

from pm_pipeline.definitions import build_defs
from pm_pipeline_tests.pdf_printer import PlainPdfPrinter

defs = build_defs(pdf_printer=PlainPdfPrinter())
