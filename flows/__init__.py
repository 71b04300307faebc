"""Prefect flows: they only sequence tasks; the work is done by plain functions in salespipe/."""
