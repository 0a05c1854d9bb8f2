"""The bounds of one check: input from the network is hostile (DESIGN.md), so every check has a
time budget, a size cap per answer and a page limit. The HTTP API passes tighter ones
(exchange/api/feedcheck.py)."""

from __future__ import annotations

DEFAULT_SAMPLE = 100
#: the largest sample a check reads (the CLI refuses more; the API allows less)
MAX_SAMPLE = 1000
#: seconds for a whole check, requests and analysis
DEFAULT_BUDGET = 180.0
#: seconds for one request
REQUEST_TIMEOUT = 30.0
#: ListRecords pages read at most (the sample stops earlier when it has its records)
DEFAULT_MAX_PAGES = 20
#: pages followed for the resumption-token checks even when the sample is full earlier
PROTOCOL_PAGES = 3
#: bytes of one answer; a larger one is not read (a page of 100 LOM records is 1-3 MB)
MAX_BODY = 16 * 1024 * 1024
MAX_REDIRECTS = 5
#: evidence items kept per check
EVIDENCE = 10
