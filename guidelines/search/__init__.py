"""Pure search rules: the query language, stemming, BM25F ranking and closest-title scoring."""
