from typing import Any


def center(context: Any) -> dict[str, Any]:
    user = context.get("user")
    return {"greeting": f"演示面板：{user.name}" if user is not None else ""}
