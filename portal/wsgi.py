import os

from django.core.wsgi import get_wsgi_application

from portal.core.collector import freeze_loaded

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
application = get_wsgi_application()
freeze_loaded()  # what the application loaded lives as long as the process: no full collection walks it again
