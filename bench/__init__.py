"""`make bench`: the query, page and ingestion benchmarks (`python -m bench`); see __main__."""
