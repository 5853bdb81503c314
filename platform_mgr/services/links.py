"""The secret of a single-use account link and its address (DESIGN §9), apart from the accounts service so the
mail sender, which turns a mail's placeholders into addresses when it sends, needs nothing else of it.

The secret is an HMAC of (purpose, id, random salt) under the app's SECRET_KEY; the table keeps only its SHA-256
and the outbox only a placeholder, so someone who reads the database can follow no link."""
from __future__ import annotations

import base64
import hashlib
import hmac
import re

from ..enums import LinkPurpose

PATH = {LinkPurpose.INVITATION: "/account/invitation/", LinkPurpose.RESET: "/password/reset/"}
PLACEHOLDER = re.compile(r"\[\[account-link:(invitation|reset):(\d+):([0-9a-f]{32})\]\]")


def secret(secret_key: str, purpose: str, link_id: int, salt: str) -> str:
    mac = hmac.new(secret_key.encode(), f"account-link:{purpose}:{link_id}:{salt}".encode(), hashlib.sha256).digest()
    return f"{link_id}.{base64.urlsafe_b64encode(mac).decode().rstrip('=')}"


def placeholder(purpose: LinkPurpose, link_id: int, salt: str) -> str:
    """What the outbox stores instead of the link."""
    return f"[[account-link:{LinkPurpose(purpose).value}:{link_id}:{salt}]]"


def link_path(purpose: LinkPurpose, token: str) -> str:
    return PATH[LinkPurpose(purpose)] + token


def expand_links(body: str, secret_key: str, base_url: str) -> str:
    """A mail body with each link placeholder replaced by the link's address (the mail sender calls it)."""
    def address(match: re.Match) -> str:
        purpose, link_id, salt = match.group(1), int(match.group(2)), match.group(3)
        return base_url + link_path(LinkPurpose(purpose), secret(secret_key, purpose, link_id, salt))

    return PLACEHOLDER.sub(address, body)
