"""Reading a folder of articles into Document records: finding and decoding files, page furniture,
HTML text, outlet and date lines, the metadata.json sidecar, watching for changes, the uploads folder."""
