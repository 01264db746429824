"""Tooling for the course: data provisioning, release, validation, sandboxed grading."""
