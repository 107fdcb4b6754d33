"""Ingestion: a report file -> de-identified, segmented, sliced, prompted units (read, ocr, deid, segment, prompt, reportcheck, pipeline)."""
