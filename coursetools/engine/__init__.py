"""The sandboxed grading engine: the student's kernel, the clean checker kernel, what crosses between them, and their limits."""
