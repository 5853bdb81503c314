"""All tables, imported here so SQLModel.metadata (and Alembic) sees every one."""
from .account import AccountLink, ExternalIdentity, SignInPolicy, UserSession
from .audit import AuditEvent, AuditHead
from .base import NAMING_CONVENTION, UTCDateTime, utcnow  # noqa: F401  (sets the naming convention first)
from .institution import Institution
from .notification import JobRun, Notification, OutboxMail, SchedulerLease
from .platform import Gatekeeper, GateTemplateItem, OperatorPlatform, Platform
from .project import EvidenceFile, GateReview, Milestone, Outcome, Project
from .review import Assignment, Criterion, EligibilitySnapshot, ReviewCycle, Rubric, Score, SelfAssessment
from .user import ApiToken, LoginAttempt, User

__all__ = [
    "AccountLink", "ApiToken", "ExternalIdentity", "SignInPolicy", "UserSession", "Assignment", "AuditEvent", "AuditHead", "Criterion", "EligibilitySnapshot", "EvidenceFile",
    "GateReview", "GateTemplateItem", "Gatekeeper", "Institution", "JobRun", "LoginAttempt", "Milestone", "Notification",
    "OperatorPlatform", "OutboxMail", "Outcome", "Platform", "Project", "ReviewCycle", "Rubric",
    "SchedulerLease", "Score", "SelfAssessment", "User", "UTCDateTime", "utcnow",
]
