"""Driving the running system through its HTTP APIs, as its users would (`maag demo`)."""
