"""The benchmark harness behind bench/run.py: servers as processes, load generators, report."""
