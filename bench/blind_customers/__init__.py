"""A blind, labelled benchmark for customer matching, generated from the contract (metrics.md,
input-sheets.md) and not from the matcher: see README.md in this folder."""
