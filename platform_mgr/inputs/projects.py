"""Projects, milestones, outcomes and gate reviews: what an operator, a gatekeeper or an admin sends.

The project pages build these from their forms, the API from its JSON bodies; the services receive them
valid and apply the rules that depend on the project's state and on today.
"""
from __future__ import annotations

import datetime as dt
from typing import Annotated, Optional

from pydantic import AfterValidator, Field, StrictBool, StrictInt, WithJsonSchema, field_validator
from pydantic_core import PydanticCustomError

from ..domain.gates import MAX_TITLE_LENGTH
from ..enums import Decision, MilestoneStatus, OutcomeKind, SelectionMode, Stage
from .types import MAX_INT, Input, NotFutureDate, OptionalText, Text, Version, null_as_empty, refuse_null

#: a TRL level (GB/T 22900, 1–9)
Trl = Annotated[StrictInt, Field(ge=1, le=9)]
#: an amount in integer yuan (a JSON number without a fraction)
Amount = Annotated[StrictInt, Field(ge=0, le=MAX_INT, description="integer yuan")]


def _not_waived(status: MilestoneStatus) -> MilestoneStatus:
    if status is MilestoneStatus.WAIVED:
        raise PydanticCustomError("enum", "a new milestone cannot be waived")
    return status


#: a new milestone's status: any but waived (waiving is an admin's decision on an existing milestone)
NewMilestoneStatus = Annotated[MilestoneStatus, AfterValidator(_not_waived), WithJsonSchema(
    {"type": "string", "enum": [m.value for m in MilestoneStatus if m is not MilestoneStatus.WAIVED]})]


# --- projects ---------------------------------------------------------------------------------------------

class ProjectCreate(Input):
    title_zh: Text(200)
    title_en: OptionalText(200) = ""
    lead: Text(120)
    source_institution: OptionalText(200) = ""
    demand_owner: OptionalText(200) = ""
    selection_mode: SelectionMode = SelectionMode.DIRECT
    stage: Stage = Field(default=Stage.S0, description="a running project may be registered in a later stage")
    trl_entry: Optional[Trl] = None
    budget: Amount = 0
    started_on: Optional[dt.date] = None
    apply_template: StrictBool = Field(default=True, description="copy the stage's template must-meet milestones")


class ProjectUpdate(Input):
    """Only the fields sent change (the stage moves only through gate decisions)."""

    version: Version
    title_zh: Optional[Text(200)] = None
    title_en: Optional[OptionalText(200)] = None
    lead: Optional[Text(120)] = None
    source_institution: Optional[OptionalText(200)] = None
    demand_owner: Optional[OptionalText(200)] = None
    selection_mode: Optional[SelectionMode] = None
    trl_entry: Optional[Trl] = None
    budget: Optional[Amount] = None
    started_on: Optional[dt.date] = None

    _not_null = field_validator("title_zh", "lead", "selection_mode", "budget", mode="before")(
        lambda cls, v: refuse_null(v))
    _cleared = field_validator("title_en", "source_institution", "demand_owner", mode="before")(
        lambda cls, v: null_as_empty(v))


class Resume(Input):
    version: Optional[Version] = None


# --- milestones -------------------------------------------------------------------------------------------

class MilestoneCreate(Input):
    title: Text(MAX_TITLE_LENGTH)
    stage: Optional[Stage] = Field(default=None, description="default: the project's current stage")
    due_on: dt.date
    deliverable: OptionalText(1000) = ""
    is_gate_criterion: StrictBool = False
    status: NewMilestoneStatus = MilestoneStatus.PLANNED
    completed_on: Optional[NotFutureDate] = None
    trl_claimed: Optional[Trl] = None


class MilestoneUpdate(Input):
    """Only the fields sent change; ``status: waived`` (an admin, with ``waived_reason``) waives it."""

    version: Version
    title: Optional[Text(MAX_TITLE_LENGTH)] = None
    stage: Optional[Stage] = None
    due_on: Optional[dt.date] = None
    deliverable: Optional[OptionalText(1000)] = None
    is_gate_criterion: Optional[StrictBool] = None
    status: Optional[MilestoneStatus] = Field(default=None, description="waived: admin only, with waived_reason")
    completed_on: Optional[NotFutureDate] = None
    trl_claimed: Optional[Trl] = None
    waived_reason: Optional[OptionalText(1000)] = None

    _not_null = field_validator("title", "stage", "due_on", "is_gate_criterion", "status", mode="before")(
        lambda cls, v: refuse_null(v))
    _cleared = field_validator("deliverable", mode="before")(lambda cls, v: null_as_empty(v))


class MilestoneCompletion(Input):
    """The completion form: the date (default today; not in the future) and the TRL the evidence shows."""

    version: Version
    completed_on: Optional[NotFutureDate] = None
    trl_claimed: Optional[Trl] = None


class MilestoneWaiver(Input):
    version: Optional[Version] = None
    waived_reason: Text(1000)


# --- outcomes and gate reviews ----------------------------------------------------------------------------

class OutcomeCreate(Input):
    kind: OutcomeKind
    counterparty: Text(200)
    amount: Amount = 0
    occurred_on: NotFutureDate = Field(alias="date", description="ISO 8601; not in the future")
    note: OptionalText(2000) = ""

    model_config = {**Input.model_config, "populate_by_name": True}


class GateRequest(Input):
    note: OptionalText(2000) = ""


class GateDecision(Input):
    decision: Decision
    rationale: OptionalText(4000) = Field(default="", description="required except for go")
    conditions: list[OptionalText(MAX_TITLE_LENGTH)] = Field(
        default_factory=list, max_length=50,
        description="conditional_go: titles of new must-meet milestones of the next stage")
    conditions_due_on: Optional[dt.date] = Field(default=None, description="conditional_go; default today + 90 days")
    rework_due_on: Optional[dt.date] = Field(default=None, description="recycle: the rework's due date (required)")

    @field_validator("conditions", mode="before")
    @classmethod
    def _lines(cls, value):
        """The decision form's text area: one condition a line."""
        if isinstance(value, str):
            return [line.strip() for line in value.splitlines() if line.strip()]
        return [] if value is None else value


class GateTemplateItem(Input):
    """One must-meet milestone of a platform's gate template (admin)."""

    stage: Stage
    title_zh: Text(200)
    title_en: OptionalText(200) = ""
    deliverable_zh: OptionalText(500) = ""
    deliverable_en: OptionalText(500) = ""
    due_days: Annotated[int, Field(ge=0, le=3650)] = 90
