"""services.directory.link_identity: which account a directory identity signs in to, without any server (the
servers' own tests are tests/web/test_directory_*.py)."""
from __future__ import annotations

import pytest
from sqlmodel import select

from platform_mgr.enums import Directory
from platform_mgr.models import AuditEvent, ExternalIdentity, User
from platform_mgr.services import directory
from platform_mgr.services.directory import DirectoryRefused, Identity


def _identity(subject="sub-1", email="person@commission.example", verified=True, provider=Directory.OIDC):
    return Identity(provider, subject, email, verified)


def test_the_first_time_a_verified_address_links_the_identity(db, make):
    user = make.reviewer(email="person@commission.example")
    assert directory.link_identity(db, _identity()).id == user.id
    link = db.exec(select(ExternalIdentity)).one()
    assert (link.user_id, link.subject, link.last_used_at is not None) == (user.id, "sub-1", True)


def test_an_unverified_address_links_nothing_even_to_an_existing_account(db, make):
    make.reviewer(email="person@commission.example")
    with pytest.raises(DirectoryRefused) as refused:
        directory.link_identity(db, _identity(verified=False))
    assert refused.value.status == 403 and refused.value.reason == directory.UNVERIFIED
    assert db.exec(select(ExternalIdentity)).all() == []
    assert db.exec(select(AuditEvent.action)).all() == ["sign_in_refused"]


def test_the_address_is_matched_without_regard_to_case(db, make):
    user = make.reviewer(email="person@commission.example")
    assert directory.link_identity(db, _identity(email="Person@Commission.Example".lower())).id == user.id


def test_another_subject_with_the_address_of_a_linked_account_is_refused(db, make):
    make.reviewer(email="person@commission.example")
    directory.link_identity(db, _identity(subject="sub-1"))
    with pytest.raises(DirectoryRefused) as refused:
        directory.link_identity(db, _identity(subject="sub-2"))  # the directory gave the address to someone else
    assert refused.value.reason == directory.OTHER_IDENTITY
    # another directory may link the same account
    directory.link_identity(db, _identity(subject="uid=person", provider=Directory.LDAP))
    assert len(db.exec(select(ExternalIdentity)).all()) == 2


def test_nothing_about_the_account_changes_and_no_account_is_made(db, make):
    user = make.user(role="finance", email="person@commission.example")
    directory.link_identity(db, _identity())
    assert db.get(User, user.id).role == "finance"
    with pytest.raises(DirectoryRefused):
        directory.link_identity(db, _identity(subject="sub-9", email="new@commission.example"))
    assert db.exec(select(User.email)).all() == ["person@commission.example"]


@pytest.mark.parametrize("claims,verified", [
    ({"sub": "a", "email": "A@x.example", "email_verified": True}, True),
    ({"sub": "a", "email": "a@x.example", "email_verified": "true"}, False),  # only the JSON true counts
    ({"sub": "a", "email": "a@x.example"}, False),
    ({"sub": "a", "email_verified": True}, True),
])
def test_oidc_identity_reads_the_claims_strictly(claims, verified):
    identity = directory.oidc_identity(claims)
    assert identity.email_verified is verified and identity.subject == "a"
    assert identity.email == claims.get("email", "").lower()
