from functools import cache

from portal.core.access import role_of
from portal.core.navigation import links_for, nav_for


def portal(request):
    """The page frame's values (navigation, role badge, user menu). Each is a callable the template calls when it
    is first used (and then reuses), so an htmx partial, which has no frame, pays for none of them."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    if getattr(request, "two_factor_pending", False):
        # Signed in with the password only: no navigation until the second step is done.
        return {"nav_items": ()}
    role = cache(lambda: role_of(user))
    return {
        "nav_items": cache(lambda: nav_for(user, request.path)),
        "user_role": cache(lambda: role().value if role() else ""),
        "user_role_label": cache(lambda: role().label if role() else ""),
        "user_menu": cache(lambda: links_for(user, "user_menu")),
    }
