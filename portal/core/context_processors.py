from portal.core.access import Perm, can, role_of
from portal.core.navigation import nav_for


def portal(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    role = role_of(user)
    return {
        "nav_items": nav_for(user, request.path),
        "user_role": role.value if role else "",
        "user_role_label": role.label if role else "",
        "can_manage_users": can(user, Perm.MANAGE_USERS),
    }
