from roadie.conftest import *  # noqa: F403 — the shared fixtures
