"""ocop-site: a static site generator for OCOP product catalogues (see ../README.md)."""
