"""Language helpers with no knowledge of documents: dates, numbers and canonical values, the spaCy
pipeline and stemmer, terminal-safe text. The one copy that ``eval/`` imports too."""
