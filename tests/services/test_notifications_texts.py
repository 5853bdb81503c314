"""Notification texts come from templates/mail/<kind>.txt with gettext inside, rendered in Chinese and English.

The reminders are the domain's own (tests/domain/test_schedule.py builds the same inputs); here they are
rendered, and the sentences checked: both languages, times on the Beijing clock, today's wording, Chinese
with full-width punctuation, the recipient's language first in the mail."""
from __future__ import annotations

import re
import tempfile
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from types import SimpleNamespace

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo
from flask_babel import force_locale, get_locale
from sqlmodel import select

from platform_mgr import create_app
from platform_mgr.config import TestConfig
from platform_mgr.domain import gates as dg
from platform_mgr.domain.schedule import (
    ReminderKind,
    digest_due,
    milestone_reminders,
    missing_after_close,
    reviewer_reminders,
)
from platform_mgr.models import OutboxMail
from platform_mgr.services import notifications, texts

from ..domain.test_schedule import DAY, NOW, TODAY, milestone, pending, review_items

UTC = timezone.utc
ROOT = Path(__file__).resolve().parents[2]
MAIL = ROOT / "templates" / "mail"
CJK = re.compile(r"[\u4e00-\u9fff]")
CJK_RUN = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]+")
GATE_KINDS = ("gate_requested", "gate_decided")
from platform_mgr.services.accounts import MAIL_KINDS as ACCOUNT_KINDS  # noqa: E402
from platform_mgr.services.conflicts import MAIL_KINDS as CONFLICT_KINDS  # noqa: E402
from platform_mgr.services.delisting import MAIL_KINDS as DELISTING_KINDS  # noqa: E402
from platform_mgr.services.integrity import MAIL_KINDS as INTEGRITY_KINDS  # noqa: E402


@pytest.fixture(scope="module")
def texts_app():
    """An app for rendering only (no database is touched)."""
    class Cfg(TestConfig):
        SQLALCHEMY_DATABASE_URI = "sqlite://"
        INSTANCE_PATH = tempfile.mkdtemp(prefix="pm-texts-")

    application = create_app(Cfg)
    with application.app_context():
        yield application


def render(reminder) -> texts.Texts:
    return texts.render(reminder.kind, reminder.context)


def _strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _strings(v)
    elif isinstance(value, (list, tuple)):
        for v in value:
            yield from _strings(v)


def assert_bilingual(reminder) -> texts.Texts:
    """Both languages present; English texts hold Chinese only where it comes from the data (titles);
    Chinese texts use full-width punctuation (DESIGN §16) outside the data and the clock time."""
    t = render(reminder)
    supplied = [s for s in _strings(reminder.context) if s]
    for text in (t.subject_zh, t.body_zh):
        assert text.strip() and CJK.search(text), text
        own = re.sub(r"\d{1,2}:\d{2}", "", text)
        for s in sorted(supplied, key=len, reverse=True):
            own = own.replace(s, "")
        assert not re.search(r"[:,;()]", own), text
    for text in (t.subject_en, t.body_en):
        assert text.strip() and re.search(r"[A-Za-z]{3}", text), text
        for run in CJK_RUN.findall(text):
            assert any(run in s for s in supplied), (run, text)
    # the first paragraph ends as a sentence does (a digest's lines of counts follow it)
    assert t.body_zh.split("\n")[0].endswith("。") and t.body_en.split("\n")[0].endswith(".")
    assert len(t.subject_zh) <= 300 and len(t.subject_en) <= 300
    assert "\n" not in t.subject_zh + t.subject_en
    return t


# --- one template per kind ------------------------------------------------------------------------------

def test_every_kind_has_its_template_with_a_subject_and_a_body(texts_app):
    kinds = [str(k) for k in ReminderKind] + list(GATE_KINDS) + list(ACCOUNT_KINDS) + list(CONFLICT_KINDS) \
        + list(DELISTING_KINDS) + list(INTEGRITY_KINDS)
    assert sorted(p.stem for p in MAIL.glob("*.txt") if not p.name.startswith("_")) == sorted(kinds)
    for kind in kinds:
        template = texts.template_for(kind)
        assert {"subject", "body"} <= set(template.blocks), kind


def test_every_string_of_the_mail_templates_is_translated_into_chinese():
    # tests/test_translations.py reads templates/**.html; the mail templates are .txt
    ids = {m if isinstance(m, str) else m[0] for _f, _l, m, _c, _x in
           extract_from_dir(str(ROOT), [("templates/mail/**.txt", "jinja2")], comment_tags=())}
    with open(ROOT / "platform_mgr/translations/zh_Hans_CN/LC_MESSAGES/messages.mo", "rb") as fh:
        compiled = read_mo(fh)
    translated = {m.id if isinstance(m.id, str) else m.id[0] for m in compiled if m.id and m.string}
    assert len(ids) > 30 and not sorted(ids - translated)


def test_the_delisting_review_text_names_the_platform_in_both_languages(texts_app):
    mail = SimpleNamespace(kind="delisting_review", context={"code": "BCI", "name_zh": "脑机接口平台",
                                                            "name_en": "BCI platform", "cycle_name": "2026 年度评估"})
    t = assert_bilingual(mail)
    assert "BCI" in t.subject_zh and "BCI" in t.subject_en
    assert "脑机接口平台" in t.body_zh and "BCI platform" in t.body_en and "2026 年度评估" in t.body_zh


def test_the_tamper_alert_names_the_cycle_and_the_altered_digest_in_both_languages(texts_app):
    mail = SimpleNamespace(kind="snapshot_tampered", context={"cycle_name": "2025 年度评估",
                                                             "observed_digest": "ab" * 32})
    t = assert_bilingual(mail)
    assert "2025 年度评估" in t.subject_zh and "2025 年度评估" in t.subject_en
    assert "ab" * 32 in t.body_zh and "ab" * 32 in t.body_en and "flask audit verify" in t.body_en


# --- the account links (services/accounts.py) -------------------------------------------------------------

@pytest.mark.parametrize("kind,inviter", [("account_invitation", "科委项目处 王主任"), ("account_invitation", ""),
                                          ("password_reset", "")])
def test_account_link_texts_hold_the_link_and_its_deadline_in_both_languages(texts_app, kind, inviter):
    from platform_mgr.enums import Role

    link = "[[account-link:invitation:7:" + "ab" * 16 + "]]"
    mail = SimpleNamespace(kind=kind, context={"link": link, "name": "李工", "email": "li@example.com",
                                               "expires_at": datetime(2026, 11, 19, 2, 0, tzinfo=UTC),
                                               "inviter": inviter, "role": Role.REVIEWER})
    t = assert_bilingual(mail)
    for body in (t.body_zh, t.body_en):
        assert link in body.splitlines()  # alone on its line: the sender replaces it with the address
    assert "2026年11月19日 10:00（北京时间）" in t.body_zh and "2026-11-19 10:00 (Beijing time, UTC+8)" in t.body_en
    if kind == "account_invitation":
        assert "评审专家" in t.body_zh and "Reviewer" in t.body_en and (inviter in t.body_zh)


# --- the reviewers' reminders ---------------------------------------------------------------------------

def test_review_reminder_texts_name_cycle_and_shanghai_deadline(texts_app):
    closes = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)  # 17:00 on 1 December in Shanghai
    (week,) = reviewer_reminders(review_items(closes), closes - 3 * DAY)
    (day,) = reviewer_reminders(review_items(closes), closes - timedelta(hours=3))
    week_t, day_t = render(week), render(day)
    for r, t in ((week, week_t), (day, day_t)):
        assert_bilingual(r)
        assert "2026 年度评审" in t.subject_zh and "2026 年度评审" in t.body_en
        assert "2026年12月1日 17:00" in t.body_zh and "2026-12-01 17:00" in t.body_en
        assert "09:00" not in t.body_zh + t.body_en
        assert "SIPH" in t.body_zh and "BCI" in t.body_en and "2 reviews" in t.body_en
    assert "7 天" in week_t.body_zh and "7 days" in week_t.body_en
    assert "24 小时" in day_t.body_zh and "24 hours" in day_t.body_en
    assert week_t.subject_en != day_t.subject_en
    assert day_t.subject_zh == "评审即将截止：评审周期「2026 年度评审」将于2026年12月1日 17:00（北京时间）截止"
    assert day_t.subject_en == "Final reminder: review cycle “2026 年度评审” closes at 2026-12-01 17:00 (Beijing time, UTC+8)"
    assert day_t.body_zh == ("您在评审周期「2026 年度评审」中还有 2 个平台的评审尚未提交（平台：SIPH、BCI）。"
                             "评分将于2026年12月1日 17:00（北京时间）截止，距截止已不足 24 小时，请务必在截止前提交。")
    assert day_t.body_en == ("You still have 2 reviews not submitted in review cycle “2026 年度评审” (platforms: SIPH, "
                             "BCI). Scoring closes at 2026-12-01 17:00 (Beijing time, UTC+8), less than 24 hours from "
                             "now; please submit before the deadline.")


def test_review_texts_without_names_fall_back_to_ids(texts_app):
    (r,) = reviewer_reminders([pending(cycle_id=3, platform_id=4)], NOW)
    t = assert_bilingual(r)
    assert "#3" in t.subject_zh and "#3" in t.body_en and "#4" in t.body_zh and "1 review " in t.body_en
    closes = "2026年12月1日 10:00（北京时间）"  # NOW + 3 days, on the Beijing clock
    assert t.subject_zh == f"评审提醒：评审周期 #3 将于{closes}截止"
    assert t.body_zh == (f"您在评审周期 #3 中还有 1 个平台的评审尚未提交（平台：#4）。评分将于{closes}截止，"
                         f"距截止已不足 7 天，请尽快完成评分并提交。")
    assert t.body_en == ("You have 1 review not yet submitted in review cycle #3 (platform: #4). Scoring closes at "
                         "2026-12-01 10:00 (Beijing time, UTC+8), within the next 7 days; please complete and submit "
                         "your scores.")


# --- the admins: what is missing after the close ---------------------------------------------------------

def test_missing_after_close_texts(texts_app):
    closed = [
        SimpleNamespace(cycle_id=3, cycle_name="2026 年度评审", closes_at=datetime(2026, 12, 1, 9, 0, tzinfo=UTC),
                        missing=[(9, 7), (9, 4), {"reviewer_id": 11, "platform_id": 4, "reviewer_name": "李明"}]),
        {"cycle_id": 6, "missing": [SimpleNamespace(reviewer_id=2, platform_id=8, platform_code="CGT")]},
    ]
    first, _second, third, _fourth = missing_after_close(closed, admin_ids=[2, 1, 1])
    t = assert_bilingual(first)
    assert "3 份评审" in t.subject_zh and "3 reviews" in t.subject_en
    assert "李明" in t.body_zh and "#9" in t.body_en and "#7" in t.body_en
    assert "2026年12月1日 17:00" in t.body_zh and "2026-12-01 17:00" in t.body_en
    assert t.body_zh == ("评审周期「2026 年度评审」已于2026年12月1日 17:00（北京时间）截止，以下 3 份评审未提交："
                         "专家 #9（平台 #4）；专家 #9（平台 #7）；专家 李明（平台 #4）。汇总结果只计入已提交的评审，请核实并跟进。")
    assert t.subject_en == "Review cycle “2026 年度评审” has closed with 3 reviews missing"
    t = assert_bilingual(third)
    assert "CGT" in t.body_en and "1 review " in t.subject_en + " "
    assert t.subject_zh == "评审周期 #6 已截止，仍有 1 份评审未提交"
    assert t.body_en == ("Review cycle #6 has closed; 1 review was not submitted: reviewer #2 (platform CGT). Only "
                         "submitted reviews count towards the results; please check and follow up.")


# --- milestones ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    "days_left, zh, en",
    [
        (10, "还有 10 天", "in 10 days"),
        (1, "即明天", "tomorrow"),
        (0, "即今天", "today"),
    ],
)
def test_milestone_due_texts(texts_app, days_left, zh, en):
    due = TODAY + timedelta(days=days_left)
    ms = milestone(due_on=due, title="完成中试样品验证", project_title="硅光调制器", platform_code="SIPH")
    (r,) = milestone_reminders([ms], NOW)
    t = assert_bilingual(r)
    assert "完成中试样品验证" in t.subject_zh and "完成中试样品验证" in t.subject_en
    assert f"{due.year}年{due.month}月{due.day}日" in t.subject_zh and due.isoformat() in t.subject_en
    assert zh in t.body_zh and en in t.body_en
    assert "硅光调制器" in t.body_zh and "SIPH" in t.body_en
    day_zh = f"{due.year}年{due.month}月{due.day}日"
    assert t.subject_zh == f"里程碑提醒：「完成中试样品验证」将于{day_zh}到期"
    assert t.body_zh == (f"平台 SIPH 项目「硅光调制器」的里程碑「完成中试样品验证」将于{day_zh}到期（{zh}）。"
                         f"请按计划推进，完成后及时更新状态并上传佐证材料。")
    assert t.body_en == (f"Milestone “完成中试样品验证” of project “硅光调制器” (platform SIPH) is due on {due.isoformat()} "
                         f"({en}). Please keep it on track, and once it is done update its status and upload the "
                         f"evidence.")


def test_overdue_text_counts_days(texts_app):
    (r,) = milestone_reminders([milestone(due_on=TODAY - timedelta(days=1), title="Pilot line report")], NOW)
    t = assert_bilingual(r)
    assert "逾期 1 天" in t.subject_zh and "1 day overdue" in t.subject_en
    assert "2026年11月27日" in t.body_zh and "2026-11-27" in t.body_en and "#7" in t.body_en
    assert t.subject_zh == "里程碑逾期：「Pilot line report」已逾期 1 天"
    assert t.body_zh == ("项目 #7 的里程碑「Pilot line report」原定于2026年11月27日到期，目前已逾期 1 天。"
                         "请尽快完成；如确有困难，请说明原因并调整计划。")
    (r,) = milestone_reminders([milestone(due_on=TODAY - timedelta(days=2), title="Pilot line report")], NOW)
    assert render(r).subject_en == "Milestone overdue: “Pilot line report” is 2 days overdue"


@pytest.mark.parametrize("days_overdue, escalate_after", [(31, 30), (200, 30), (11, 10), (1, 0)])
def test_escalation_texts(texts_app, days_overdue, escalate_after):
    due = TODAY - timedelta(days=days_overdue)
    got = milestone_reminders([milestone(due_on=due, operator_ids=(6, 5))], NOW, escalate_after, admin_ids=[2, 1])
    esc = got[2]
    assert esc.kind == ReminderKind.MILESTONE_ESCALATION
    t = assert_bilingual(esc)
    assert f"{escalate_after} 天" in t.subject_zh and f"{days_overdue} 天" in t.body_zh
    assert f"{days_overdue} day" in t.body_en and f"{escalate_after}-day" in t.body_en
    assert t.subject_zh == f"逾期督办：里程碑「完成中试样品验证」已逾期超过 {escalate_after} 天"


def test_long_titles_are_shortened_in_subjects_only(texts_app):
    title = "验" * 200
    (r,) = milestone_reminders([milestone(title=title)], NOW)
    t = assert_bilingual(r)
    assert title not in t.subject_zh and title in t.body_zh and "…" in t.subject_en
    assert "「" + "验" * 79 + "…」" in t.subject_zh


# --- the digest ------------------------------------------------------------------------------------------------

def _digest_context(**counts):
    (r,) = digest_due({}, [6], NOW)
    values = {"reviews_to_submit": 0, "first_review_closes_at": None, "milestones_due_soon": 0,
              "milestones_overdue": 0, "milestones_escalated": 0, "reviews_pending_closing_soon": 0,
              "unread_notifications": 0, "due_soon_days": 14, "escalate_after_days": 30, "closing_within_days": 7}
    return SimpleNamespace(kind=r.kind, context={**r.context, **values, **counts})


def test_digest_texts_are_lines_of_counts(texts_app):
    r = _digest_context(reviews_to_submit=2, first_review_closes_at=datetime(2026, 12, 1, 0, 0, tzinfo=UTC),
                        milestones_overdue=3, unread_notifications=5)
    t = assert_bilingual(r)
    assert "2026年11月28日" in t.subject_zh and "2026-11-28" in t.subject_en
    assert (t.subject_zh, t.subject_en) == ("每日摘要：2026年11月28日", "Daily digest for 2026-11-28")
    assert t.body_zh.split("\n") == [
        "这是您2026年11月28日的每日摘要，汇总了需要您关注的评审、里程碑和通知。",
        "· 待提交的评审：2 份，最早于2026年12月1日 08:00（北京时间）截止",
        "· 已逾期的里程碑：3 个",
        "· 过去 24 小时内的未读通知：5 条",
    ]
    assert t.body_en.split("\n") == [
        "This is your daily digest for 2026-11-28: the reviews, milestones and notifications that need your attention.",
        "· Reviews to submit: 2; the first closes at 2026-12-01 08:00 (Beijing time, UTC+8)",
        "· Overdue milestones: 3",
        "· Unread notifications from the last 24 hours: 5",
    ]
    t = render(_digest_context(milestones_due_soon=1, milestones_escalated=4, reviews_pending_closing_soon=6))
    assert t.body_zh.split("\n")[1:] == ["· 14 天内到期的里程碑：1 个", "· 逾期超过 30 天的里程碑：4 个",
                                         "· 7 天内截止的评审周期中尚未提交的评审：6 份"]
    assert t.body_en.split("\n")[1:] == ["· Milestones due within 14 days: 1",
                                         "· Milestones more than 30 days overdue: 4",
                                         "· Reviews not yet submitted in cycles closing within 7 days: 6"]


# --- gates -------------------------------------------------------------------------------------------------------

def test_gate_texts(texts_app):
    requested = texts.render("gate_requested", {"project_title_zh": "柔性电极", "project_title_en": "",
                                                "stage": dg.Stage("S0")})
    stage_zh, stage_en = dg.Stage("S0").label("zh"), dg.Stage("S0").label("en")
    assert requested.subject_zh == f"阶段评审申请：柔性电极（{stage_zh}）"
    assert requested.subject_en == f"Gate review requested: 柔性电极 ({stage_en})"  # no English title: the Chinese one
    assert requested.body_zh == f"项目“柔性电极”已完成{stage_zh}阶段的必达里程碑，申请阶段评审，请决策。"
    decided = texts.render("gate_decided", {"project_title_zh": "柔性电极", "project_title_en": "Flexible electrodes",
                                            "stage": dg.Stage("S0"), "decision": dg.Decision("go"),
                                            "rationale": "材料齐全"})
    assert decided.subject_zh == "阶段评审结果：柔性电极 — 通过"
    assert decided.subject_en == "Gate decided: Flexible electrodes — Go"
    assert decided.body_zh == f"项目“柔性电极”{stage_zh}阶段评审的决定：通过。理由：材料齐全"
    assert decided.body_en == (f"The gate review of project “Flexible electrodes” out of {stage_en} was decided: Go. "
                               f"Rationale: 材料齐全")
    held = texts.render("gate_decided", {"project_title_zh": "柔性电极", "project_title_en": "", "rationale": "",
                                         "stage": dg.Stage("S0"), "decision": dg.Decision("hold")})
    assert held.body_zh.endswith("暂停。") and held.body_en.endswith("was decided: Hold.")


# --- the rendering itself ----------------------------------------------------------------------------------------

def test_the_formatting_helpers_follow_the_language(texts_app):
    moment = datetime(2026, 11, 30, 16, 5, tzinfo=UTC)  # 00:05 on 1 December in Beijing
    with force_locale("zh_Hans_CN"):
        assert texts.format_moment(moment) == "2026年12月1日 00:05（北京时间）"
        assert texts.format_day(date(2026, 1, 9)) == "2026年1月9日"
        assert texts.series(["BCI", "SIPH"]) == "BCI、SIPH" and texts.clauses(["a", "b"]) == "a；b"
    with force_locale("en"):
        assert texts.format_moment(moment) == "2026-12-01 00:05 (Beijing time, UTC+8)"
        assert texts.format_day(date(2026, 1, 9)) == "2026-01-09"
        assert texts.series(["BCI", "SIPH"]) == "BCI, SIPH" and texts.clauses(["a", "b"]) == "a; b"
        assert texts.format_day(datetime(2026, 11, 30, 16, 5)) == "2026-12-01"  # naive is UTC; the Beijing date


def test_rendering_leaves_the_pages_language_alone(texts_app):
    (r,) = milestone_reminders([milestone()], NOW)
    with texts_app.app_context(), texts_app.test_request_context("/?lang=en"):  # a request of its own
        assert str(get_locale()) == "en"
        t = render(r)
        assert str(get_locale()) == "en"
    assert t.subject_zh.startswith("里程碑提醒：") and t.subject_en.startswith("Milestone reminder:")


def test_a_missing_value_is_an_error_not_an_empty_text(texts_app):
    with pytest.raises(Exception, match="due_on"):
        texts.render("milestone_due_14d", {"title": "x", "days_left": 3})


def test_many_are_rendered_in_order(texts_app):
    got = milestone_reminders([milestone(id=i, title=f"M{i}", operator_ids=(i,)) for i in range(1, 4)], NOW)
    rendered = texts.render_many((r.kind, r.context) for r in got)
    assert [t.subject_en for t in rendered] == [f"Milestone reminder: “M{i}” is due on 2026-12-08" for i in range(1, 4)]
    assert texts.render_many([]) == []


# --- stored in both languages, mailed in the recipient's first ---------------------------------------------------

def test_notify_stores_both_languages_and_mails_the_recipients_first(app, make, db):
    app.config["MAIL_SERVER"] = "smtp.example.test"
    zh_user, en_user = make.operator(preferred_lang="zh_Hans_CN"), make.operator(preferred_lang="en")
    reminders = [r for uid in (zh_user.id, en_user.id)
                 for r in milestone_reminders([milestone(operator_ids=(uid,), project_title="硅光调制器")], NOW)]
    with app.app_context():
        from platform_mgr.db import new_session

        with new_session() as s:
            created = notifications.notify(s, reminders, now=NOW, link_for=lambda _r: "/projects/7")
            s.commit()
    assert len(created) == 2
    rows = {n.recipient_id: n for n in notifications_of(db)}
    for row in rows.values():
        assert row.subject_zh.startswith("里程碑提醒：「完成中试样品验证」") and "：" in row.subject_zh
        assert row.subject_en.startswith("Milestone reminder: “完成中试样品验证”")
        assert row.body_zh.startswith("项目「硅光调制器」的里程碑") and row.body_en.startswith("Milestone “完成中试样品验证”")
        assert row.link == "/projects/7"
    mails = {m.to_addr: m for m in db.exec(select(OutboxMail)).all()}
    zh_mail, en_mail = mails[zh_user.email], mails[en_user.email]
    assert en_mail.subject.startswith("Milestone reminder: “完成中试样品验证”") and "里程碑提醒" in en_mail.subject
    assert en_mail.body.startswith("Milestone “完成中试样品验证” of project “硅光调制器”")
    assert en_mail.body.index("Please keep it on track") < en_mail.body.index("请按计划推进")
    assert zh_mail.subject.startswith("里程碑提醒：「完成中试样品验证」") and "Milestone reminder" in zh_mail.subject
    assert zh_mail.body.startswith("项目「硅光调制器」的里程碑「完成中试样品验证」")


def notifications_of(db):
    from platform_mgr.models import Notification

    db.expire_all()
    return db.exec(select(Notification).order_by(Notification.id)).all()
