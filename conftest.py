import os

os.environ.setdefault("ROADIE_TESTING", "1")
os.environ.setdefault("ROADIE_DATA_DIR", os.path.join(os.path.dirname(__file__), "var", "test"))
os.environ.setdefault("EMAIL_URL", "memory://")
