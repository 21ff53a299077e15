"""Splitting a Document into sentences (exact character spans) and packing them into token-budgeted chunks."""
