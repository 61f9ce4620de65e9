"""The acceptance report's content, as pure functions: phase summary, topology picture, HTML fragments.

Nothing here runs pytest or talks to AWS; fixtures/reporting*.py feed it what the run observed.
"""
