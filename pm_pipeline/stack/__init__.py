"""`make stack`: Dagster's production shape on one machine (PostgreSQL, the code server, the
webserver and the daemon, supervised), and the run launcher whose workers it can check."""
