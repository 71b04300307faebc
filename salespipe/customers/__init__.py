"""Customer identity: normalisation, matching, codes, aliases."""
