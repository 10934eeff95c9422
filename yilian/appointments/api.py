"""REST endpoints of appointments (mounted as ``api.add_router("v1/", router)``)."""

from ninja import Router

router = Router(tags=["appointments"])
