"""Offline retrieval-augmented QA over news articles with exact citations."""
