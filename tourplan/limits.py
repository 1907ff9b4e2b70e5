"""Limits that keep a request's work within what the planners were measured to carry.

Counts alone (rows, groups, variants) do not bound work: a site table of a
few thousand rows is a small file, but its graph takes minutes to build and
every plan over it misses its time target. The figures here are stated in
work and measured:

* :data:`MAX_SITES` -- the largest site table the visitor planner serves
  within its targets (a one-day plan at most 300 ms at the median, three
  days at most 1 s), measured by ``bench/table_size.py``. The web app
  refuses a larger upload when it is checked, before anything else is done
  with it.
"""

from __future__ import annotations

__all__ = ["MAX_SITES"]

#: Largest site table the web app accepts (``python bench/table_size.py``; see the README, "Limits").
MAX_SITES = 500
