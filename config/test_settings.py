"""Settings for the test suite: the environment's test defaults, then the real settings."""

import os

os.environ.setdefault("ROADIE_TESTING", "1")
os.environ.setdefault("EMAIL_URL", "memory://")
# The channel tests deliver to receivers on loopback.
os.environ.setdefault("ROADIE_WEBHOOK_ALLOWED_NETWORKS", "127.0.0.0/8,::1/128")
os.environ.setdefault(
    "ROADIE_DATA_DIR", os.path.join(os.path.dirname(os.path.dirname(__file__)), "var", "test")
)

from config.settings import *  # noqa: E402, F403
