GRANTS: dict[str, tuple[str, ...]] = {"service": ("core.view_heartbeat",)}
