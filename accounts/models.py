"""People are Django's users and groups (one group per role) with django-otp's devices and django-axes's sign-in
records; the room's own table says which company account (an identity provider's subject) is which user. The
room's migrations also make it receive post_migrate, after which the role groups are kept in line with the
permissions (accounts/roles.py)."""

from django.conf import settings
from django.db import models


class ProviderIdentity(models.Model):
    """A portal user's company account: the identity provider's issuer and its subject (`sub`), the one id OpenID
    Connect promises never to reassign (an e-mail address may change hands). Made at their first sign-in through
    the provider (accounts/services.py, `user_for_identity`)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="identities")
    issuer = models.CharField(max_length=255)
    subject = models.CharField(max_length=255)
    created_at = models.DateTimeField(auto_now_add=True)
    last_sign_in_at = models.DateTimeField(null=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["issuer", "subject"], name="accounts_identity_unique")]

    def __str__(self) -> str:
        return f"{self.issuer} {self.subject}"
