"""assetgraph against PostGraphile 5 and a raw SQL baseline: `python -m bench.peers`."""
