"""A per-user iCalendar feed at a secret address, for the user's calendar application.

The address carries a random token; only its SHA-256 is stored (``user.calendar_token_hash``), so the
address is shown once when it is made, and rotating it makes the old one stop working at once.
The feed holds, by role:

- operators: the due dates of open milestones (not done or waived) of active projects on their platforms;
- reviewers: the scoring deadline of each cycle, not yet closed, in which they have a non-conflicted
  assignment;
- admins: the opening and closing of every cycle not yet closed.

Texts are gettext in the user's preferred language (``force_locale``), English msgids with the Chinese in
the catalog; times are UTC instants (calendar apps show local time).
"""
from __future__ import annotations

from datetime import date, datetime, timedelta

from flask_babel import force_locale
from flask_babel import gettext as _
from icalendar import Calendar, Event
from sqlmodel import Session, select

from .. import security
from ..i18n import pick
from ..models import Assignment, Milestone, OperatorPlatform, Platform, Project, ReviewCycle, User, utcnow
from . import audit
from .texts import locale_of, series

FEED_PAST_DAYS = 365  # overdue milestones stay visible for a year
FEED_MAX_EVENTS = 5000
TOKEN_PREFIX = "cal"
UID_DOMAIN = "platform-mgr"


# --- the secret address ------------------------------------------------------------------------------

def rotate_token(session: Session, actor, user: User) -> str:
    """Make a new feed token for the user (the old address stops working); the plain token is returned
    once and only its hash is kept."""
    token = security.new_token(TOKEN_PREFIX)
    had_feed = user.calendar_token_hash is not None
    user.calendar_token_hash = security.token_digest(token)
    session.add(user)
    session.flush()
    audit.record(session, actor, "user", user.id, "rotate_calendar_token" if had_feed else "create_calendar_token",
                 None, {"calendar_feed": True})
    return token


def disable_feed(session: Session, actor, user: User) -> None:
    if user.calendar_token_hash is None:
        return
    user.calendar_token_hash = None
    session.add(user)
    session.flush()
    audit.record(session, actor, "user", user.id, "disable_calendar_token", {"calendar_feed": True},
                 {"calendar_feed": False})


def user_for_token(session: Session, token: str | None) -> User | None:
    if not token or not token.startswith(TOKEN_PREFIX + "_") or len(token) > 200:
        return None
    user = session.exec(select(User).where(User.calendar_token_hash == security.token_digest(token))).first()
    if user is None or not user.active:
        return None
    return user


# --- the feed ----------------------------------------------------------------------------------------

def _event(uid: str, summary: str, description: str, now: datetime, *, day: date | None = None,
           moment: datetime | None = None, url: str = "") -> Event:
    event = Event()
    event.add("uid", f"{uid}@{UID_DOMAIN}")
    event.add("dtstamp", now)
    if day is not None:
        event.add("dtstart", day)
        event.add("dtend", day + timedelta(days=1))
        event.add("transp", "TRANSPARENT")
    else:
        event.add("dtstart", moment)
        event.add("dtend", moment)
    event.add("summary", summary)
    if description:
        event.add("description", description)
    if url:
        event.add("url", url)
    return event


def milestone_events(session: Session, user: User, now: datetime, base_url: str = "") -> list[Event]:
    from ..i18n import shanghai_today

    since = shanghai_today(now) - timedelta(days=FEED_PAST_DAYS)
    rows = session.exec(
        select(Milestone, Project.title_zh, Project.title_en, Platform.code)
        .join(Project, Project.id == Milestone.project_id)
        .join(Platform, Platform.id == Project.platform_id)
        .join(OperatorPlatform, OperatorPlatform.platform_id == Project.platform_id)
        .where(OperatorPlatform.user_id == user.id, Project.status == "active",
               Milestone.status.not_in(("done", "waived")), Milestone.due_on >= since)
        .order_by(Milestone.due_on, Milestone.id).limit(FEED_MAX_EVENTS)).all()
    events = []
    for ms, title_zh, title_en, code in rows:
        summary = _("Milestone due: %(title)s (%(code)s)", title=ms.title, code=code)
        lines = [_("Project: %(project)s", project=pick(title_zh, title_en)), _("Platform: %(code)s", code=code),
                 _("Stage: %(stage)s", stage=ms.stage)]
        if ms.deliverable:
            lines.append(_("Deliverable: %(deliverable)s", deliverable=ms.deliverable))
        description = "\n".join(lines)
        url = f"{base_url}/projects/{ms.project_id}" if base_url else ""
        events.append(_event(f"milestone-{ms.id}", summary, description, now, day=ms.due_on, url=url))
    return events


def review_deadline_events(session: Session, user: User, now: datetime) -> list[Event]:
    rows = session.exec(
        select(ReviewCycle, Assignment.platform_id, Platform.code, Assignment.review_state)
        .join(Assignment, Assignment.cycle_id == ReviewCycle.id)
        .join(Platform, Platform.id == Assignment.platform_id)
        .where(Assignment.reviewer_id == user.id, Assignment.conflicted.is_(False),
               ReviewCycle.state.in_(("draft", "open")))
        .order_by(ReviewCycle.closes_at, ReviewCycle.id, Platform.code)).all()
    cycles: dict[int, dict] = {}
    for cycle, _pid, code, state in rows:
        entry = cycles.setdefault(cycle.id, {"cycle": cycle, "codes": [], "pending": 0})
        entry["codes"].append(code)
        if state != "submitted":
            entry["pending"] += 1
    events = []
    for entry in cycles.values():
        cycle, codes, pending = entry["cycle"], entry["codes"], entry["pending"]
        summary = _("Review deadline: %(cycle)s", cycle=cycle.name)
        description = "\n".join([_("Platforms: %(codes)s", codes=series(codes)),
                                  _("Not yet submitted: %(n)d", n=pending)])
        events.append(_event(f"cycle-{cycle.id}-review-deadline-user-{user.id}", summary, description, now,
                             moment=cycle.closes_at))
    return events


def cycle_events(session: Session, user: User, now: datetime) -> list[Event]:
    cycles = session.exec(select(ReviewCycle).where(ReviewCycle.state.in_(("draft", "open")))
                          .order_by(ReviewCycle.opens_at, ReviewCycle.id)).all()
    events = []
    for cycle in cycles:
        if cycle.state == "draft":
            summary = _("Cycle opens: %(cycle)s", cycle=cycle.name)
            events.append(_event(f"cycle-{cycle.id}-opens", summary, "", now, moment=cycle.opens_at))
        summary = _("Cycle closes: %(cycle)s", cycle=cycle.name)
        events.append(_event(f"cycle-{cycle.id}-closes", summary, "", now, moment=cycle.closes_at))
    return events


def build_feed(session: Session, user: User, *, now: datetime | None = None, base_url: str = "") -> bytes:
    """The user's calendar as iCalendar bytes (RFC 5545), its texts in the user's preferred language (the feed
    is fetched by a calendar application, without the user's session)."""
    with force_locale(locale_of(user.preferred_lang)):
        return _feed(session, user, now=now or utcnow(), base_url=base_url)


def _feed(session: Session, user: User, *, now: datetime, base_url: str) -> bytes:
    cal = Calendar()
    cal.add("prodid", "-//platform_mgr//concept-verification platforms//ZH-EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", _("Platform programme"))
    cal.add("x-wr-timezone", "Asia/Shanghai")
    if user.role == "operator":
        events = milestone_events(session, user, now, base_url)
    elif user.role == "reviewer":
        events = review_deadline_events(session, user, now)
    elif user.role == "admin":
        events = cycle_events(session, user, now)
    else:
        events = []
    for event in events:
        cal.add_component(event)
    return cal.to_ical()
