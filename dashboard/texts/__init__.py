"""Each page's words: one module per page with a `VI` and an `EN` dict (merged by i18n)."""
