from flask_wtf import FlaskForm


class ActionForm(FlaskForm):
    """A button that posts: carries only the CSRF token (mark read, mark all read, rotate the feed)."""
