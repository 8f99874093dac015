from exchange.listings.models import Project

CALLS: list[int] = []  # how many projects listings' demo had made when this ran


def seed() -> dict[str, int]:
    CALLS.append(Project.objects.count())
    return {"things": 1}
