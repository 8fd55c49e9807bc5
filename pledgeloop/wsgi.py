"""The WSGI application gunicorn serves (deploy/pledgeloop-web.service).

Each worker loads the URLconf (every view, the API's schemas) as it starts, not on its first
request: after a restart no resident waits a second for it. As in manage.py, the objects made
while starting are not collected as they are made, then set aside for good (gc.freeze).
The garbage that starting leaves (about 14,000 objects, 2 MB) is set aside with them: a
collection first would cost 0.2-0.3 s of the second or so saved.
"""

import gc
import os
from importlib import import_module

from django.conf import settings
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pledgeloop.settings")
gc.disable()
application = get_wsgi_application()
import_module(settings.ROOT_URLCONF)
gc.freeze()
gc.enable()
