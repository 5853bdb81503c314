"""Deterministic demo data. `scale` is a parameter of one generator, not two code paths.

demo:  the five seed platforms, ~9 projects each in every stage, milestones (some overdue), outcomes of
       every kind, gate history, an admin, one operator per platform and six reviewers.
large: ≈60 platforms, 6,000 projects, 60,000 milestones, 300 reviewers — bulk inserts.
"""
from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone

from sqlalchemy import insert
from sqlmodel import Session

from .. import security
from ..domain.gates import DEFAULT_GATE_TEMPLATES
from ..i18n import shanghai_today
from ..models import (
    Gatekeeper,
    GateReview,
    GateTemplateItem,
    Milestone,
    OperatorPlatform,
    Outcome,
    Platform,
    Project,
    User,
)
from ..queries.gates import builtin_template_texts
from . import audit

DEMO_PASSWORD = "Demo-pass-2026"

SEED_PLATFORMS = [
    # code, name_zh, name_en, field, origin, host
    ("BCI", "脑机接口概念验证平台", "Brain–Computer Interface PoC Platform", "bci", "top_down", "华东脑机智能研究院"),
    ("SIPH", "硅光概念验证平台", "Silicon Photonics PoC Platform", "silicon_photonics", "bottom_up", "申江微系统研究所"),
    ("SEMI4", "第四代半导体概念验证平台", "Fourth-Generation Semiconductor PoC Platform", "fourth_gen_semiconductors",
     "top_down", "浦江宽禁带半导体创新中心"),
    ("CGT", "细胞与基因治疗概念验证平台", "Cell and Gene Therapy PoC Platform", "cell_gene_therapy", "bottom_up",
     "东海医学院附属瑞安医院"),
    ("ICMAT", "集成电路材料概念验证平台", "IC Materials PoC Platform", "ic_materials", "bottom_up",
     "临港集成电路材料研究院"),
]

TITLES = {
    "bci": ["高通量柔性脑电极阵列", "非侵入式运动想象解码算法", "闭环神经调控癫痫干预系统", "脑机接口康复外骨骼",
            "植入式无线神经信号采集芯片", "意念打字交互系统", "睡眠障碍脑电监测头环", "帕金森病深部脑刺激自适应控制",
            "脑电情绪识别车载预警", "神经假肢触觉反馈模块"],
    "silicon_photonics": ["硅基光电共封装交换芯片", "薄膜铌酸锂高速调制器", "数据中心800G光模块", "片上激光雷达光学相控阵",
                          "硅光生物传感检测芯片", "光互连多芯片封装工艺", "低损耗氮化硅波导平台", "硅光量子密钥分发芯片",
                          "相干光通信收发引擎", "光计算矩阵乘法加速器"],
    "fourth_gen_semiconductors": ["氧化镓功率二极管", "金刚石散热衬底", "氮化铝深紫外LED外延", "氧化镓MOSFET器件",
                                  "超宽禁带日盲探测器", "大尺寸氧化镓单晶生长", "金刚石量子传感探头", "氮化硼二维绝缘层",
                                  "高压快充氧化镓模块", "宽禁带射频功率放大器"],
    "cell_gene_therapy": ["实体瘤CAR-T细胞疗法", "AAV载体眼科基因治疗", "通用型CAR-NK细胞制备", "碱基编辑遗传病治疗",
                          "间充质干细胞膝骨关节炎注射液", "mRNA肿瘤个体化疫苗", "TIL细胞自动化生产工艺",
                          "慢病毒载体规模化纯化", "诱导多能干细胞心肌片", "基因编辑造血干细胞β地中海贫血治疗"],
    "ic_materials": ["ArF光刻胶国产化配方", "12英寸硅片化学机械抛光液", "高纯电子特气纯化", "先进封装临时键合胶",
                     "低介电常数层间介质材料", "电镀铜添加剂", "碳化硅衬底切磨抛工艺", "湿电子化学品痕量金属控制",
                     "高K栅介质前驱体", "晶圆级封装底部填充胶"],
    "other": ["智能制造数字孪生平台", "新型储能固态电解质", "低空飞行器适航验证", "合成生物酶催化工艺",
              "柔性钙钛矿光伏组件", "海洋装备防腐涂层", "氢燃料电池膜电极", "工业大模型质检系统",
              "可降解医用镁合金支架", "6G太赫兹通信前端"],
}
LEADS = ["王建国", "李晓明", "张丽华", "刘洋", "陈静", "杨帆", "赵磊", "黄敏", "周涛", "吴婷", "徐峰", "孙悦", "马骏", "朱琳"]
INSTITUTIONS = ["复兴大学", "东方交通大学", "滨江理工大学", "华申师范大学", "申城科技大学", "长江医学研究所",
                "沪东工业技术研究院", "海湾材料研究所"]
DEMAND_OWNERS = ["华泰医疗器械有限公司", "申光通信股份有限公司", "东岳新能源汽车有限公司", "瑞康生物医药有限公司",
                 "芯源半导体制造有限公司", "联创智能装备集团", "远航数据中心运营公司", "新桥化学材料有限公司"]
COUNTERPARTIES = ["申江创业投资基金", "华东科创天使基金", "芯源半导体制造有限公司", "瑞康生物医药有限公司",
                  "申光通信股份有限公司", "东岳新能源汽车有限公司"]
REVIEWER_AFFILIATIONS = ["科技发展研究中心", "申城科技大学", "华东科创天使基金", "浦江宽禁带半导体创新中心",
                         "国家知识产权服务中心", "工业技术咨询公司", "复兴大学", "长江医学研究所"]
FIELDS = ["bci", "silicon_photonics", "fourth_gen_semiconductors", "cell_gene_therapy", "ic_materials", "other"]
STAGES = ["S0", "S1", "S2", "S3", "S4"]
OUTCOME_KINDS = ["licence", "assignment", "equity", "spinout", "follow_on_investment", "contract"]


@dataclass
class Scale:
    platforms: int
    projects_per_platform: int
    milestones_per_project: int
    reviewers: int


SCALES = {
    "demo": Scale(platforms=5, projects_per_platform=9, milestones_per_project=0, reviewers=6),
    "large": Scale(platforms=60, projects_per_platform=100, milestones_per_project=10, reviewers=300),
}


@dataclass
class SeedSummary:
    scale: str
    platforms: int = 0
    projects: int = 0
    milestones: int = 0
    outcomes: int = 0
    gate_reviews: int = 0
    users: list[tuple[str, str, str]] = field(default_factory=list)  # (role, email, note)

    def describe(self) -> str:
        lines = [f"demo data loaded ({self.scale}): {self.platforms} platforms, {self.projects} projects, "
                 f"{self.milestones} milestones, {self.outcomes} outcomes, {self.gate_reviews} gate reviews",
                 f"sign in with any of these (password: {DEMO_PASSWORD}):"]
        shown = self.users if len(self.users) <= 20 else self.users[:12] + [("…", f"{len(self.users) - 12} more", "")]
        for role, email, note in shown:
            lines.append(f"  {role:<9} {email:<32} {note}")
        return "\n".join(lines)


def _at(d: date, hour: int = 2) -> datetime:
    return datetime.combine(d, time(hour, 0), tzinfo=timezone.utc)


def seed(session: Session, scale: str = "demo", today: date | None = None, rng_seed: int = 20261127) -> SeedSummary:
    params = SCALES[scale]
    today = today or shanghai_today()
    rng = random.Random(rng_seed)
    summary = SeedSummary(scale=scale)
    password_hash = security.hash_password(DEMO_PASSWORD)  # one hash for every demo account

    # --- platforms --------------------------------------------------------------------------
    platform_rows = []
    for i in range(params.platforms):
        if i < len(SEED_PLATFORMS):
            code, name_zh, name_en, fld, origin, host = SEED_PLATFORMS[i]
        else:
            fld = FIELDS[i % len(FIELDS)]
            code = f"P{i + 1:03d}"
            name_zh = f"{['华东', '长三角', '临港', '张江', '漕河泾', '松江'][i % 6]}{TITLES[fld][i % 10][:4]}概念验证中心{i + 1}"
            name_en = f"PoC Centre {i + 1}"
            origin = "bottom_up" if i % 3 else "top_down"
            host = f"{INSTITUTIONS[i % len(INSTITUTIONS)]}第{i + 1}研究院"
        platform_rows.append(dict(code=code, name_zh=name_zh, name_en=name_en, field=fld, origin=origin,
                                  host_institution=host, status="active", integrity_flag=False, integrity_note="",
                                  founded_on=today - timedelta(days=400 + 37 * i)))
    if params.platforms >= 5 and scale == "large":
        platform_rows[-1]["status"] = "suspended"
        platform_rows[-2]["integrity_flag"] = True
        platform_rows[-2]["integrity_note"] = "2025年度数据核查发现服务记录不实"
    platform_ids = list(session.execute(insert(Platform).returning(Platform.id, sort_by_parameter_order=True),
                                     platform_rows).scalars())
    summary.platforms = len(platform_ids)

    # --- default gate templates ------------------------------------------------------------------
    template_texts = {stage: [builtin_template_texts(i) for i in items] for stage, items in DEFAULT_GATE_TEMPLATES.items()}
    session.execute(insert(GateTemplateItem), [
        dict(platform_id=None, stage=str(stage), position=pos, due_days=90, **texts)
        for stage, items in template_texts.items() for pos, texts in enumerate(items)])

    # --- people -----------------------------------------------------------------------------
    def add_user(email, role, name, affiliation):
        summary.users.append((role, email, name))
        return dict(email=email, role=role, display_name=name, affiliation=affiliation, password_hash=password_hash,
                    active=True, preferred_lang="zh_Hans_CN")

    user_rows = [add_user("admin@example.com", "admin", "科委项目处 王主任", "科学技术委员会")]
    for i, row in enumerate(platform_rows):
        user_rows.append(add_user(f"op-{row['code'].lower()}@example.com", "operator",
                                  f"{row['code']} 平台运营 {LEADS[i % len(LEADS)]}", row["host_institution"]))
    for i in range(params.reviewers):
        user_rows.append(add_user(f"reviewer{i + 1}@example.com", "reviewer", f"评审专家 {LEADS[(i + 5) % len(LEADS)]}",
                                  REVIEWER_AFFILIATIONS[i % len(REVIEWER_AFFILIATIONS)]))
    first_reviewer = 1 + len(platform_ids)
    # the roles whose pages come with Part II: a finance officer and an applicant
    user_rows.append(add_user("finance@example.com", "finance", "科委计划财务处 周会计", "科学技术委员会"))
    user_rows.append(add_user("applicant@example.com", "applicant", "申报人 陈博士", "滨江理工大学"))
    user_ids = list(session.execute(insert(User).returning(User.id, sort_by_parameter_order=True), user_rows).scalars())
    admin_id = user_ids[0]
    operator_ids = user_ids[1:first_reviewer]
    reviewer_ids = user_ids[first_reviewer:first_reviewer + params.reviewers]
    session.execute(insert(OperatorPlatform), [dict(user_id=u, platform_id=p) for u, p in zip(operator_ids, platform_ids)])
    # gatekeepers: each platform gets one reviewer as gatekeeper (never from its host institution)
    gk_rows = []
    for i, pid in enumerate(platform_ids):
        for k in range(len(reviewer_ids)):
            rid_index = (i + k) % len(reviewer_ids)
            if user_rows[1 + len(platform_ids) + rid_index]["affiliation"] != platform_rows[i]["host_institution"]:
                gk_rows.append(dict(user_id=reviewer_ids[rid_index], platform_id=pid))
                break
    if gk_rows:
        session.execute(insert(Gatekeeper), gk_rows)
    codes = {pid: row["code"] for pid, row in zip(platform_ids, platform_rows)}
    guarded: dict[int, list[str]] = {}
    for row in gk_rows:
        guarded.setdefault(row["user_id"], []).append(codes[row["platform_id"]])
    for index, rid in enumerate(reviewer_ids):  # make run names each platform's gatekeeper
        if rid in guarded:
            role, email, name = summary.users[first_reviewer + index]
            summary.users[first_reviewer + index] = (role, email, f"{name} · gatekeeper of {', '.join(guarded[rid])}")

    # --- projects ------------------------------------------------------------------------------
    project_rows, project_meta = [], []
    for pi, pid in enumerate(platform_ids):
        fld = platform_rows[pi]["field"]
        for j in range(params.projects_per_platform):
            stage_index = j % 5
            status = "active"
            if j % 9 == 7:
                status = "on_hold"
            elif j % 9 == 8 and stage_index in (1, 2, 3):
                status = "killed"
            if stage_index == 4 and j % 2 == 0:
                status = "transferred"
            trl_entry = [1, 2, 3, 5, 6][stage_index] if stage_index else rng.choice([1, 2])
            trl_current = min(9, trl_entry + rng.randint(0, 2) + (1 if status == "transferred" else 0))
            started = today - timedelta(days=120 + 90 * stage_index + rng.randint(0, 60))
            title = TITLES[fld][j % 10] + ("" if j < 10 else f"（{j // 10 + 1}期）")
            project_rows.append(dict(
                platform_id=pid, title_zh=title, title_en="", lead=LEADS[(pi * 3 + j) % len(LEADS)],
                source_institution=INSTITUTIONS[(pi + j) % len(INSTITUTIONS)],
                demand_owner=DEMAND_OWNERS[(pi * 2 + j) % len(DEMAND_OWNERS)],
                selection_mode=["open_call", "horse_race", "direct"][j % 3], stage=STAGES[stage_index], status=status,
                trl_entry=trl_entry, trl_current=trl_current, budget=rng.randrange(50, 800) * 10000,
                started_on=started, version=1, created_by_id=operator_ids[pi]))
            project_meta.append((pi, stage_index, status, started))
    project_ids = list(session.execute(insert(Project).returning(Project.id, sort_by_parameter_order=True),
                                    project_rows).scalars())
    summary.projects = len(project_ids)

    # --- milestones, gate history, outcomes -------------------------------------------------
    milestone_rows, gate_rows, outcome_rows = [], [], []
    for project_id, (pi, stage_index, status, started) in zip(project_ids, project_meta):
        operator = operator_ids[pi]
        gatekeeper = gk_rows[pi]["user_id"] if pi < len(gk_rows) else admin_id
        stage_start = started
        per_project = []
        for s in range(stage_index + 1):
            stage = STAGES[s]
            items = template_texts[stage]
            current = s == stage_index
            for k, item in enumerate(items):
                due = stage_start + timedelta(days=60 + 20 * k)
                if not current or status == "transferred":
                    done_on = min(due - timedelta(days=rng.randint(-10, 15)), today - timedelta(days=1))
                    per_project.append(dict(stage=stage, title=item["title_zh"], deliverable=item["deliverable_zh"],
                                            due_on=due, status="done", completed_on=done_on,
                                            trl_claimed=min(9, 2 + s + k), is_gate_criterion=True))
                else:
                    # current stage: a mix of done, in progress and overdue, plus upcoming work
                    variant = (project_id + k) % 4
                    if variant == 0:
                        per_project.append(dict(stage=stage, title=item["title_zh"], deliverable=item["deliverable_zh"],
                                                due_on=today + timedelta(days=10 + 7 * k), status="in_progress",
                                                completed_on=None, trl_claimed=None, is_gate_criterion=True))
                    elif variant == 1:
                        per_project.append(dict(stage=stage, title=item["title_zh"], deliverable=item["deliverable_zh"],
                                                due_on=today - timedelta(days=20 + 45 * k), status="in_progress",
                                                completed_on=None, trl_claimed=None, is_gate_criterion=True))
                    else:
                        done_on = today - timedelta(days=5 + 3 * k)
                        per_project.append(dict(stage=stage, title=item["title_zh"], deliverable=item["deliverable_zh"],
                                                due_on=done_on + timedelta(days=rng.randint(-5, 10)), status="done",
                                                completed_on=done_on, trl_claimed=min(9, 3 + s),
                                                is_gate_criterion=True))
            if not current or status == "transferred":
                decided = stage_start + timedelta(days=100)
                decided = min(decided, today - timedelta(days=2))
                gate_rows.append(dict(project_id=project_id, from_stage=stage,
                                      to_stage=STAGES[s + 1] if s < 4 else None, requested_by_id=operator,
                                      requested_at=_at(decided - timedelta(days=7)), note="",
                                      gatekeeper_id=gatekeeper, decision="go" if (s + project_id) % 5 else "conditional_go",
                                      rationale="材料齐全，达到本阶段必达要求。", conditions=[], rework_due_on=None,
                                      decided_by_id=gatekeeper, decided_at=_at(decided)))
            stage_start = stage_start + timedelta(days=90)
        if status == "on_hold":
            gate_rows.append(dict(project_id=project_id, from_stage=STAGES[stage_index],
                                  to_stage=STAGES[stage_index + 1] if stage_index < 4 else None,
                                  requested_by_id=operator, requested_at=_at(today - timedelta(days=20)), note="",
                                  gatekeeper_id=gatekeeper, decision="hold", rationale="需求方调整，暂停待定。",
                                  conditions=[], rework_due_on=None, decided_by_id=gatekeeper,
                                  decided_at=_at(today - timedelta(days=15))))
        elif status == "killed":
            gate_rows.append(dict(project_id=project_id, from_stage=STAGES[stage_index],
                                  to_stage=STAGES[stage_index + 1], requested_by_id=operator,
                                  requested_at=_at(today - timedelta(days=40)), note="", gatekeeper_id=gatekeeper,
                                  decision="kill", rationale="技术路线验证失败，终止项目。", conditions=[],
                                  rework_due_on=None, decided_by_id=gatekeeper, decided_at=_at(today - timedelta(days=30))))
        # extra, non-gate working milestones up to the scale's count
        extra = max(0, params.milestones_per_project - len(per_project)) if params.milestones_per_project else 1
        for e in range(extra):
            due = today + timedelta(days=rng.randint(-60, 120))
            done = due < today and rng.random() < 0.7
            per_project.append(dict(stage=STAGES[stage_index], title=["周进展评审会", "样机测试", "用户访谈记录", "专利检索报告",
                                                                      "第三方检测"][e % 5] + (f" {e + 1}" if e else ""),
                                    deliverable="", due_on=due, status="done" if done else "planned",
                                    completed_on=min(due, today) if done else None, trl_claimed=None,
                                    is_gate_criterion=False))
        if params.milestones_per_project:
            per_project = per_project[:params.milestones_per_project] if len(per_project) > params.milestones_per_project else per_project
        for row in per_project:
            row.update(project_id=project_id, waived_reason="", version=1)
            milestone_rows.append(row)
        if stage_index == 4 or (stage_index == 3 and project_id % 3 == 0):
            kind = OUTCOME_KINDS[len(outcome_rows) % len(OUTCOME_KINDS)]  # every kind appears
            outcome_rows.append(dict(project_id=project_id, kind=kind,
                                     counterparty=COUNTERPARTIES[project_id % len(COUNTERPARTIES)],
                                     amount=rng.randrange(20, 3000) * 10000,
                                     occurred_on=today - timedelta(days=rng.randint(10, 300)),
                                     note="", created_by_id=operator))
    # a pending gate request on the first active project of every platform whose must-meet work is done
    pending_projects = set()
    for project_id, (pi, stage_index, status, _started) in zip(project_ids, project_meta):
        if status == "active" and stage_index < 4 and pi not in pending_projects:
            open_must = [m for m in milestone_rows if m["project_id"] == project_id and m["is_gate_criterion"]
                         and m["stage"] == STAGES[stage_index] and m["status"] not in ("done", "waived")] \
                if scale == "demo" else [1]
            if not open_must:
                pending_projects.add(pi)
                gate_rows.append(dict(project_id=project_id, from_stage=STAGES[stage_index],
                                      to_stage=STAGES[stage_index + 1], requested_by_id=operator_ids[pi],
                                      requested_at=_at(today - timedelta(days=3)), note="本阶段必达里程碑已全部完成，申请评审。",
                                      gatekeeper_id=None, decision=None, rationale="", conditions=[],
                                      rework_due_on=None, decided_by_id=None, decided_at=None))
    for chunk in range(0, len(milestone_rows), 5000):
        session.execute(insert(Milestone), milestone_rows[chunk:chunk + 5000])
    if gate_rows:
        session.execute(insert(GateReview), gate_rows)
    if outcome_rows:
        session.execute(insert(Outcome), outcome_rows)
    summary.milestones = len(milestone_rows)
    summary.gate_reviews = len(gate_rows)
    summary.outcomes = len(outcome_rows)
    session.flush()

    from . import seed_cycles  # review cycles, rubric and scores, when that area is present

    seed_cycles.seed_cycles(session, today=today, rng=rng, platform_ids=platform_ids, reviewer_ids=reviewer_ids,
                            operator_ids=operator_ids, admin_id=admin_id, scale=scale)
    audit.record(session, None, "system", None, "seed_demo", None,
                 {"scale": scale, "platforms": summary.platforms, "projects": summary.projects,
                  "milestones": summary.milestones, "outcomes": summary.outcomes})
    return summary


def analyze(engine=None) -> None:
    """Refresh the planner's statistics after a bulk load (ANALYZE; outside the seeding transaction).

    PostgreSQL's autovacuum would do it some time later; until then a fresh bulk-loaded table has no
    statistics and joins over it get nested-loop plans that are a hundred times slower."""
    from sqlalchemy import text

    from ..db import get_engine

    engine = engine or get_engine()
    with engine.connect().execution_options(pm_write=True) as conn:
        with conn.begin():
            conn.execute(text("ANALYZE"))
