"""The returns portal: owners enter their figures and managers approve or query them in the
browser, written as the same returns and sign-off files the pipeline reads (docs/portal.md)."""
