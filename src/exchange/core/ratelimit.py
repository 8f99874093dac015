"""Rate limits kept in the cache (Redis when `REDIS_URL` is set, else local memory).

A limit is a `Rate` — so many events per period — written `"20/15m"` (s, m, h, d). Counters
are fixed windows: the key holds the window's number, so a new window starts from zero and
no clean-up is needed; the wait told to a refused caller is the rest of the window.

    rate = Rate.parse("20/15m")
    wait = ratelimit.exceeded("login-address", address, rate)   # look without counting
    ratelimit.hit("login-address", address, rate)                # count one event

Keys are hashed (a 9 MiB "username" costs the cache 64 bytes). With the local-memory cache
every process counts for itself: production runs several processes and sets REDIS_URL.
The counters are an availability safeguard, not a ledger: when the cache is unreachable the
limit is not applied (logged), and logins keep working.
"""

from __future__ import annotations

import hashlib
import ipaddress
import logging
import math
import re
import time
from dataclasses import dataclass

from django.core.cache import cache
from django.http import HttpRequest

log = logging.getLogger(__name__)

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_RATE = re.compile(r"^\s*(\d+)\s*/\s*(\d*)\s*([smhd])\s*$")


@dataclass(frozen=True)
class Rate:
    limit: int
    seconds: int

    @classmethod
    def parse(cls, text: str) -> Rate:
        """`"20/15m"` → 20 per 900 s; `"5/h"` → 5 per hour; `"0/m"` → never allowed."""
        match = _RATE.match(text)
        if not match:
            raise ValueError(f"rate limit {text!r}: expected N/[k]unit, e.g. 20/15m or 5/h")
        count, size, unit = match.groups()
        seconds = int(size or 1) * _UNITS[unit]
        if seconds <= 0:
            raise ValueError(f"rate limit {text!r}: the period must be positive")
        return cls(int(count), seconds)


def _key(scope: str, subject: str, rate: Rate, now: float) -> tuple[str, float]:
    window = int(now // rate.seconds)
    digest = hashlib.sha256(subject.encode("utf-8", "surrogatepass")).hexdigest()[:32]
    return f"rl:{scope}:{rate.seconds}:{digest}:{window}", (window + 1) * rate.seconds - now


def exceeded(scope: str, subject: str, rate: Rate) -> int | None:
    """Seconds to wait when `subject` has used up `rate` in this window, else None (no count)."""
    now = time.time()
    key, left = _key(scope, subject, rate, now)
    try:
        count = cache.get(key, 0)
    except Exception:  # the cache is down: do not turn that into a login outage
        log.exception("rate limit %s: cache unavailable", scope)
        return None
    return max(1, math.ceil(left)) if count >= rate.limit else None


def hit(scope: str, subject: str, rate: Rate) -> int | None:
    """Count one event; seconds to wait when this event went over the limit, else None."""
    now = time.time()
    key, left = _key(scope, subject, rate, now)
    try:
        cache.add(key, 0, timeout=math.ceil(left) + 1)
        count = cache.incr(key)
    except ValueError:  # expired between add and incr: this event opens the next window
        count = 1
        cache.add(key, 1, timeout=math.ceil(left) + 1)
    except Exception:
        log.exception("rate limit %s: cache unavailable", scope)
        return None
    return max(1, math.ceil(left)) if count > rate.limit else None


def cooldown(scope: str, subject: str, seconds: int) -> int | None:
    """One event per `seconds` for `subject`: None when this one may go (the pause starts now),
    else the seconds left of the pause. Atomic (`cache.add`), exact rather than windowed: what
    "resend the SMS code after 60 s" needs."""
    now = time.time()
    key = f"cd:{scope}:{hashlib.sha256(subject.encode('utf-8', 'surrogatepass')).hexdigest()[:32]}"
    try:
        if cache.add(key, now + seconds, timeout=math.ceil(seconds)):
            return None
        until = cache.get(key)
    except Exception:
        log.exception("cooldown %s: cache unavailable", scope)
        return None
    if until is None:  # the pause ended between add and get
        return None
    return max(1, math.ceil(float(until) - now))  # seconds of a clock (time.time()), not money


def client_address(request: HttpRequest) -> str:
    """The caller's address as django-axes sees it (AXES_IPWARE_* settings), one IPv6 /64 counted
    as one address (a single host is usually given a whole /64)."""
    from axes.helpers import get_client_ip_address

    raw = getattr(request, "axes_ip_address", None) or get_client_ip_address(request) or ""
    try:
        ip = ipaddress.ip_address(raw)
    except ValueError:
        return raw[:64]
    if ip.version == 6 and ip.ipv4_mapped is None:
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip.ipv4_mapped or ip) if ip.version == 6 else str(ip)


def minutes(seconds: int) -> int:
    """A wait in whole minutes for messages (at least 1)."""
    return max(1, math.ceil(seconds / 60))
