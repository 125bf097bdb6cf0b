"""The journey explorer's queries: finding a person by any identifier, and their parameters."""
