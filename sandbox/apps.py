from django.apps import AppConfig


class SandboxConfig(AppConfig):
    name = "sandbox"
    label = "sandbox"
    verbose_name = "Partner API sandbox"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Importing the domain modules (api and seeding) registers their rules, clock effects and seed parts.
        from sandbox import registry

        registry.load_domain_modules()
        registry.load_messaging()
