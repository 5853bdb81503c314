"""WSGI entry point: `gunicorn -w 4 wsgi:app`; `flask --app wsgi …` for the commands."""
from platform_mgr import create_app

app = create_app()
