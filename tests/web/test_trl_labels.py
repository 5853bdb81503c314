"""TRL is shown once, in the reader's language: "TRL 3 · <definition>" in a dropdown, "TRL 3" with its
definition on hover (title) or beside it on a page — never "TRL 3 · TRL 3", never both languages at once."""
import re
from datetime import date

import pytest
from sqlmodel import select

from platform_mgr.domain.trl import TRL_LEVELS
from platform_mgr.models import GateReview

OTHER = {"zh": "en", "en": "zh"}


def _main(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True).split("<main", 1)[1]


def _only_in(lang: str, html: str) -> None:
    """No TRL definition of the other language anywhere in the page."""
    leaked = [TRL_LEVELS[level][OTHER[lang]] for level in TRL_LEVELS if TRL_LEVELS[level][OTHER[lang]] in html]
    assert leaked == []
    assert "TRL 3 · TRL 3" not in html


@pytest.fixture
def world(make):
    platform = make.platform(code="BCI")
    return dict(platform=platform, operator=make.operator(platform), gatekeeper=make.reviewer(gatekeeper_of=[platform]))


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_trl_dropdown_has_one_label_per_level_in_the_readers_language(client, auth, world, make, lang):
    auth.login(world["operator"].email)
    project = make.project(world["platform"], trl_entry=2, trl_current=3)
    milestone = make.milestone(project)
    for url in (f"/projects/platform/{world['platform'].id}/new", f"/projects/{project.id}/edit",
                f"/projects/{project.id}/milestones/new", f"/projects/milestones/{milestone.id}",
                f"/projects/milestones/{milestone.id}/complete"):
        html = _main(client.get(f"{url}?lang={lang}"))
        options = re.findall(r'<option[^>]*value="(\d)"[^>]*>([^<]*)</option>', html)
        assert [value for value, _ in options] == [str(level) for level in TRL_LEVELS], url
        assert [label for _, label in options] == [f"TRL {level} · {TRL_LEVELS[level][lang]}" for level in TRL_LEVELS], url
        _only_in(lang, html)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_project_shows_its_trl_once_with_the_definition_on_hover_and_below(client, auth, world, make, lang):
    project = make.project(world["platform"], trl_entry=2, trl_current=3)
    auth.login(world["operator"].email)
    html = _main(client.get(f"/projects/{project.id}?lang={lang}"))
    assert html.count("TRL 3") == 1 and html.count("TRL 2") == 1
    assert f'<abbr class="trl" title="{TRL_LEVELS[3][lang]}">TRL 3</abbr>' in html
    below = re.search(r'<p class="small text-muted" id="trl-now">(.*?)</p>', html, re.S).group(1)
    assert below == {"zh": f"当前 TRL：{TRL_LEVELS[3]['zh']}", "en": f"TRL now: {TRL_LEVELS[3]['en']}"}[lang]
    # the scale below: one definition column, the reader's language
    scale = html.split('class="mb-3 trl-scale"', 1)[1].split("</details>", 1)[0]
    assert scale.count("<td>") == 9 and f"<td>{TRL_LEVELS[9][lang]}</td>" in scale
    _only_in(lang, html)
    # the platform's project list: the number, its definition on hover
    platform_page = _main(client.get(f"/platforms/{world['platform'].id}?lang={lang}"))
    assert f'<abbr title="{TRL_LEVELS[3][lang]}">3</abbr>' in platform_page
    _only_in(lang, platform_page)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_gate_decision_names_each_trl_once_with_its_definition(client, auth, world, make, db, lang):
    project = make.project(world["platform"], stage="S1", trl_current=2)
    make.milestone(project, is_gate_criterion=True, status="done", completed_on=date(2026, 1, 3), trl_claimed=3)
    auth.login(world["operator"].email)
    assert client.post(f"/projects/{project.id}/gate", data={"note": "请评审"}).status_code == 302
    review = db.exec(select(GateReview)).one()
    client.post("/logout", expect=302)
    auth.login(world["gatekeeper"].email)
    html = _main(client.get(f"/gates/{review.id}?lang={lang}"))
    for level in (2, 3):  # TRL now, TRL if passed: "TRL n · definition", the definition once
        described = f'<span class="trl">TRL {level}</span> <span class="text-muted trl-definition">· {TRL_LEVELS[level][lang]}</span>'
        assert html.count(described) == 1
    assert f'<abbr class="trl" title="{TRL_LEVELS[3][lang]}">TRL 3</abbr>' in html  # the milestone's claimed TRL
    _only_in(lang, html)
