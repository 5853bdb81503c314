"""Scheduled work: the jobs (tasks.py), the leader lock (leader.py) and the scheduler process (scheduler.py)."""
