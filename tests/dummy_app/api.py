from django.http import HttpRequest
from ninja import Router

router = Router(tags=["dummy"])


@router.get("/ping", auth=None)
def dummy_ping(request: HttpRequest) -> dict[str, str]:
    return {"pong": "演示"}
