"""nbgrader preprocessors the course adds to autograde, validate and generate_feedback."""
