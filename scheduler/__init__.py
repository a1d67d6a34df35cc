"""The scheduler: APScheduler 3 running the domain's jobs, in-process or on its own."""
