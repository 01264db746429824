"""What the course knows: its assignments, plugins, data, kernel and nbgrader settings."""
