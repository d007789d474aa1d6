"""People are Django's users and groups (one group per role) with django-otp's devices and django-axes's
sign-in records: no table of the room's own. The module exists so the room receives post_migrate, after which
the role groups are kept in line with the permissions (accounts/roles.py)."""
