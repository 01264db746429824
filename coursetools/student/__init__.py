"""The student's tools."""
