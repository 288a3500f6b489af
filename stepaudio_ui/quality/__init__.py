"""The quality lab: check scripts run against a persona, scorers, stored runs, comparisons and the A/B test.

May import `studio`, `voices`, `live` (the conversation record) and `model`; never the UI.
"""
