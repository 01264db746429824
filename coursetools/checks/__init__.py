"""Checks that hidden tests import inside the checker kernel."""
