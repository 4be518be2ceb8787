"""Assets: the nodes of the graph."""
