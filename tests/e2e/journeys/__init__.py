"""Journeys through the web app, one module per part of the work; collected by
tests/e2e/test_web.py so that its last test sees every page they checked."""
