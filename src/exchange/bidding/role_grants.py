"""Permissions this app grants to the staff roles of exchange.accounts.roles (merged there).

监管 (supervisor) gets every view_* automatically (read-only: the live monitor and the
hash-chained log at any time); pausing, re-running and drills are operational powers.
"""

_VIEW = ("bidding.view_auction", "bidding.view_auctionbidder", "bidding.view_bid")

GRANTS: dict[str, tuple[str, ...]] = {
    "reviewer": _VIEW,
    "manager": (*_VIEW, "bidding.pause_auction", "bidding.rerun_auction", "bidding.create_drill"),
    "operations": (*_VIEW, "bidding.pause_auction", "bidding.create_drill"),
    "service": ("bidding.view_auction",),
    "tech": ("bidding.view_auction",),
}
