"""One definition per enumeration (platform_mgr/enums.py): every place derived from it agrees with it —
the CHECK constraints of the tables, the rows a query loads, the API's OpenAPI document, the export cells,
the page labels, the form choices and the permission sets."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import CheckConstraint
from sqlmodel import SQLModel, select

import platform_mgr.models  # noqa: F401  (every table)
from platform_mgr import enums, permissions
from platform_mgr.domain import gates as dg
from platform_mgr.exports.columns import label as export_label
from platform_mgr.models import Project
from platform_mgr.models.base import EnumText

CJK = re.compile(r"[\u4e00-\u9fff]")
ENUMS = sorted(enums.ALL.values(), key=lambda cls: cls.__name__)


def _enum_columns():
    for table in SQLModel.metadata.sorted_tables:
        for column in table.columns:
            if isinstance(column.type, EnumText):
                yield table, column


@pytest.mark.parametrize("cls", ENUMS, ids=lambda c: c.__name__)
def test_every_member_has_a_value_and_both_labels(cls):
    assert len(set(cls.values())) == len(cls) > 0
    for member in cls:
        assert member.zh.strip() and member.en.strip()
        assert member.label("zh") == member.zh and member.label("en") == member.en and member.label("en_US") == member.en
        assert member.pair == f"{member.zh} / {member.en}"
        assert cls(member.value) is member and member == member.value  # stored and sent as its plain string
        if cls is not enums.Language:
            assert CJK.search(member.zh), member  # a Chinese term for the Chinese page
            assert not CJK.search(member.en), member


def test_the_vocabulary_file_labels_exactly_the_values():
    import tomllib

    with enums.VOCABULARY.open("rb") as fh:
        vocabulary = tomllib.load(fh)
    assert set(vocabulary) == set(enums.ALL)
    for name, cls in enums.ALL.items():
        assert list(vocabulary[name]) == list(cls.values()), name  # same values, same order


def test_the_registry_holds_every_enumeration_of_the_module():
    defined = {name for name, obj in vars(enums).items()
               if isinstance(obj, type) and issubclass(obj, enums.Labelled) and obj is not enums.Labelled}
    assert set(enums.ALL) == defined


def test_every_enum_column_has_the_check_constraint_of_its_enum():
    seen = set()
    for table, column in _enum_columns():
        cls = column.type.enum
        seen.add(cls)
        checks = [str(c.sqltext) for c in table.constraints if isinstance(c, CheckConstraint)]
        expected = cls.check(column.name)
        assert expected in checks or f"{column.name} IS NULL OR {expected}" in checks, (table.name, column.name)
    # the stored enumerations of DESIGN §2 are all typed so
    assert {enums.PlatformField, enums.PlatformOrigin, enums.PlatformStatus, enums.Role, enums.Language, enums.Stage,
            enums.SelectionMode, enums.ProjectStatus, enums.MilestoneStatus, enums.Decision, enums.OutcomeKind,
            enums.CycleState, enums.ReviewState, enums.Dimension} <= seen


def test_no_check_constraint_lists_values_by_hand():
    """Every 'column IN (...)' CHECK is one an enum column derives (so none can drift from its enum)."""
    derived = {table.name: {str(c.sqltext) for c in table.constraints if isinstance(c, CheckConstraint)} for table in
               SQLModel.metadata.sorted_tables}
    by_table = {}
    for table, column in _enum_columns():
        by_table.setdefault(table.name, set()).add(column.type.enum.check(column.name))
    for table, texts in derived.items():
        for text in texts:
            if " IN (" in text:
                core = text.split(" OR ", 1)[1] if " IS NULL OR " in text else text
                assert core in by_table.get(table, set()), (table, text)


def test_rows_load_as_enum_members(make, db):
    project = make.project(stage="S2", status="on_hold")
    loaded = db.exec(select(Project).where(Project.id == project.id)).one()
    db.expire_all()
    stage, status = db.exec(select(Project.stage, Project.status).where(Project.id == project.id)).one()
    assert stage is enums.Stage.S2 and status is enums.ProjectStatus.ON_HOLD
    assert loaded.stage.label("en") == "S2 Concept verification"


def test_the_openapi_document_lists_each_enums_values(client):
    schemas = client.get("/api/openapi.json", expect=200).get_json()["components"]["schemas"]
    for cls in (enums.PlatformField, enums.PlatformOrigin, enums.PlatformStatus, enums.Role, enums.Stage,
                enums.SelectionMode, enums.ProjectStatus, enums.MilestoneStatus, enums.Decision, enums.OutcomeKind,
                enums.CycleState, enums.ReviewState, enums.Dimension, enums.Grade, enums.Verdict, enums.Tier,
                enums.RuleCode):
        assert schemas[cls.__name__]["enum"] == list(cls.values()), cls.__name__


@pytest.mark.parametrize("cls", ENUMS, ids=lambda c: c.__name__)
def test_export_cells_and_page_labels_come_from_the_enum(app, cls):
    from platform_mgr.i18n import label

    for member in cls:
        assert export_label(cls, member.value) == member.pair
        with app.test_request_context("/?lang=en"):
            assert label(member) == member.en and label(member.value, cls.__name__) == member.en
            rendered = app.jinja_env.from_string("{{ x|label }}|{{ y|label(n) }}").render(x=member, y=member.value,
                                                                                          n=cls.__name__)
            assert rendered == f"{member.en}|{member.en}"
        with app.test_request_context("/"):
            assert label(member) == member.zh
    assert export_label(cls, "no-such-value") == "no-such-value" and export_label(cls, None) == ""


def test_form_choices_are_the_enums_values_labelled_in_the_readers_language(app):
    from platform_mgr.web.gates.forms import DecisionForm
    from platform_mgr.web.projects.forms import OutcomeForm, ProjectForm

    with app.test_request_context("/?lang=en"):
        form = ProjectForm(meta={"csrf": False})
        assert [v for v, _ in form.stage.choices] == list(enums.Stage.values())
        assert [str(t) for _, t in form.selection_mode.choices] == [m.en for m in enums.SelectionMode]
        assert [v for v, _ in OutcomeForm(meta={"csrf": False}).kind.choices] == list(enums.OutcomeKind.values())
        assert [v for v, _ in DecisionForm(meta={"csrf": False}).decision.choices] == list(enums.Decision.values())
    with app.test_request_context("/"):
        assert [str(t) for _, t in ProjectForm(meta={"csrf": False}).stage.choices] == [m.zh for m in enums.Stage]


def test_permission_and_domain_sets_are_the_enums():
    assert permissions.READ_ONLY_PROJECT_STATUSES is enums.READ_ONLY_PROJECT_STATUSES
    assert dg._READ_ONLY is enums.READ_ONLY_PROJECT_STATUSES
    assert {m for m in enums.ProjectStatus if m.read_only} == {"killed", "transferred", "withdrawn"}
    for status in enums.ProjectStatus:
        assert dg.is_read_only(status) is status.read_only
