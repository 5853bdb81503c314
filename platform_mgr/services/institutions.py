"""Institutions (DESIGN §10): find one by any of its names (normalised), create, edit, merge; and resolve
the free text of the old inputs (``users create --affiliation``, a platform's ``host_institution``) to one,
creating it when no name matches. Audited; the functions flush, the view commits."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import update
from sqlmodel import Session, select

from ..domain.institutions import normalise
from ..errors import Conflict, Invalid
from ..inputs.institutions import InstitutionCreate, InstitutionMerge, InstitutionUpdate
from ..models import Institution, Platform, User
from ..queries.institutions import find_by_name, keys_of  # noqa: F401  (services.institutions.find_by_name)
from . import audit, conflicts

AUDITED = ("name_zh", "name_en", "aliases", "parent_id", "credit_code")


def resolve(session: Session, actor, name: str | None) -> Institution | None:
    """The institution the text names, created (audited) when none matches; None for an empty text."""
    if not normalise(name):
        return None
    found = find_by_name(session, name)
    if found is not None:
        return found
    return create_institution(session, actor, InstitutionCreate(name_zh=" ".join(name.split())[:200]))


def get(session: Session, institution_id: int | None, field: str = "institution_id") -> Institution | None:
    if institution_id is None:
        return None
    institution = session.get(Institution, institution_id)
    if institution is None:
        raise Invalid(_l("Please correct the marked fields."), fields={field: _l("No institution with this id.")})
    return institution


def _check_names_free(session: Session, names: list[str], exclude_id: int | None = None) -> None:
    for name in names:
        other = find_by_name(session, name, exclude_id=exclude_id)
        if other is not None:
            raise Conflict(_l("“%(name)s” is already a name of %(other)s.", name=name, other=other.name_zh),
                           fields={"name_zh": _l("Already in use.")}, code="institution_exists")


def _check_credit_code_free(session: Session, code: str | None, exclude_id: int | None = None) -> None:
    if not code:
        return
    q = select(Institution.id).where(Institution.credit_code == code)
    if exclude_id is not None:
        q = q.where(Institution.id != exclude_id)
    if session.exec(q).first() is not None:
        raise Conflict(_l("An institution with this credit code already exists."),
                       fields={"credit_code": _l("Already in use.")}, code="institution_exists")


def _check_parent(session: Session, institution_id: int | None, parent_id: int | None) -> None:
    """The parent exists and is not the institution itself nor one of its descendants."""
    parent = get(session, parent_id, "parent_id")
    seen = set()
    while parent is not None and parent.id not in seen:
        if parent.id == institution_id:
            raise Invalid(_l("Please correct the marked fields."),
                          fields={"parent_id": _l("An institution cannot be its own parent.")})
        seen.add(parent.id)
        parent = session.get(Institution, parent.parent_id) if parent.parent_id else None


def _clean_aliases(name_zh: str, aliases: list[str]) -> list[str]:
    out, keys = [], {normalise(name_zh)}
    for alias in aliases:
        key = normalise(alias)
        if key and key not in keys:
            keys.add(key)
            out.append(" ".join(alias.split()))
    return out


def create_institution(session: Session, actor, data: InstitutionCreate) -> Institution:
    aliases = _clean_aliases(data.name_zh, data.aliases)
    _check_names_free(session, [data.name_zh, *([data.name_en] if data.name_en else []), *aliases])
    _check_credit_code_free(session, data.credit_code)
    _check_parent(session, None, data.parent_id)
    institution = Institution(name_zh=data.name_zh, name_en=data.name_en, name_key=normalise(data.name_zh),
                              aliases=aliases, parent_id=data.parent_id, credit_code=data.credit_code)
    session.add(institution)
    session.flush()
    audit.record(session, actor, "institution", institution.id, "create", None, audit.snapshot(institution, AUDITED))
    return institution


def _sync_names(session: Session, institution: Institution) -> None:
    """Users' affiliation and platforms' host institution read as the institution's Chinese name."""
    session.execute(update(User).where(User.institution_id == institution.id).values(affiliation=institution.name_zh))
    session.execute(update(Platform).where(Platform.institution_id == institution.id)
                    .values(host_institution=institution.name_zh))


def update_institution(session: Session, actor, institution: Institution, changes: InstitutionUpdate) -> Institution:
    clean = changes.model_dump(exclude_unset=True)
    name_zh = clean.get("name_zh", institution.name_zh)
    aliases = _clean_aliases(name_zh, clean.get("aliases", institution.aliases))
    name_en = clean.get("name_en", institution.name_en)
    _check_names_free(session, [name_zh, *([name_en] if name_en else []), *aliases], exclude_id=institution.id)
    if "credit_code" in clean:
        _check_credit_code_free(session, clean["credit_code"], exclude_id=institution.id)
    if "parent_id" in clean:
        _check_parent(session, institution.id, clean["parent_id"])
    before = audit.snapshot(institution, AUDITED)
    for key, value in clean.items():
        setattr(institution, key, value)
    institution.aliases, institution.name_key = aliases, normalise(name_zh)
    session.add(institution)
    session.flush()
    _sync_names(session, institution)
    audit.record(session, actor, "institution", institution.id, "update", before, audit.snapshot(institution, AUDITED))
    conflicts.recheck(session, actor, why="institution", everything=True)
    return institution


def merge_institution(session: Session, actor, institution: Institution, data: InstitutionMerge) -> Institution:
    """Merge ``institution`` into another: its users, platforms and child institutions move there, its names
    become the other's aliases, and it is removed. Returns the institution kept."""
    target = get(session, data.into_id, "into_id")
    if target.id == institution.id:
        raise Invalid(_l("Please correct the marked fields."),
                      fields={"into_id": _l("Choose another institution to merge into.")})
    if target.parent_id == institution.id:
        target.parent_id = institution.parent_id if institution.parent_id != target.id else None
    before = {**audit.snapshot(target, AUDITED), "merged": None}
    gone = audit.snapshot(institution, ("id", *AUDITED))
    session.execute(update(User).where(User.institution_id == institution.id).values(institution_id=target.id))
    session.execute(update(Platform).where(Platform.institution_id == institution.id).values(institution_id=target.id))
    session.execute(update(Institution).where(Institution.parent_id == institution.id).values(parent_id=target.id))
    names = [institution.name_zh, *([institution.name_en] if institution.name_en else []), *institution.aliases]
    if not target.credit_code and institution.credit_code:
        code, institution.credit_code = institution.credit_code, None
        session.flush()
        target.credit_code = code
    session.delete(institution)
    session.flush()
    target.aliases = _clean_aliases(target.name_zh, [*target.aliases, *names])
    session.add(target)
    session.flush()
    _sync_names(session, target)
    audit.record(session, actor, "institution", target.id, "merge", before,
                 {**audit.snapshot(target, AUDITED), "merged": gone})
    audit.record(session, actor, "institution", gone["id"], "delete", gone, None)
    conflicts.recheck(session, actor, why="institution_merge", everything=True)
    return target
