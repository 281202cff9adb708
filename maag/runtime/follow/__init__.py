"""Followers of a service's own event log: position, leadership, background loops and the
read-model projections they drive."""
