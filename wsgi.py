"""WSGI entry point: `gunicorn -w 4 wsgi:app`; `flask --app wsgi …` for the commands."""
import sys

from platform_mgr import create_app
from platform_mgr.config import ConfigError

try:
    app = create_app()
except ConfigError as exc:  # a malformed setting: say which, without a traceback, and do not start
    for problem in str(exc).splitlines():
        print(f"platform_mgr cannot start: {problem}", file=sys.stderr)
    # 3 is gunicorn's "worker failed to boot": its master then stops instead of starting workers forever
    raise SystemExit(3) from None
