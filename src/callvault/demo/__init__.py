"""``callvault demo``'s living call center: a directory, calls and recordings, generated.

``build_center`` (center.py) draws the people and numbers, ``traffic`` the arrivals and
queues, ``audio`` the recordings; ``generate`` puts them together into a journal.
"""

from callvault.demo.center import DemoError
from callvault.demo.generate import DemoConfig, DemoSummary, generate

__all__ = ["DemoConfig", "DemoError", "DemoSummary", "generate"]
