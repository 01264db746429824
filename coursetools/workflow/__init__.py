"""The instructor's workflow: release checks, collect, autograde, feedback runs."""
