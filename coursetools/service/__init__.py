"""Grading as a service: each submission graded minutes after it is made, on one machine or many.

`./course serve` (coordinator.py) takes each new submission from the exchange through the
hardened collect, grades it through a job queue (Celery on Redis when GRADING_BROKER_URL is
set, a local pool otherwise), records the result in the gradebook (it alone writes it) and
releases the feedback through the exchange. `./course worker` (worker.py) grades on any
machine with the course at the same commit; it needs no folder in common with the coordinator:
the task carries the submission and the result carries the graded notebook and its grades.
"""
