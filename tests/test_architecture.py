"""The shape STYLE.md asks for, checked: no import circle in platform_mgr, no prose in the domain and the
jobs, no enum restated by hand in the API, the API declared once (no hand-made registry)."""
from __future__ import annotations

import ast
import re
from pathlib import Path

import platform_mgr

PACKAGE = Path(platform_mgr.__file__).resolve().parent
CJK = re.compile(r"[\u4e00-\u9fff]")


def _modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


def _imports(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    out = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            for alias in node.names:
                candidate = f"{target}.{alias.name}"
                out.add(candidate if candidate in modules else target)
        elif isinstance(node, ast.Import):
            out.update(alias.name for alias in node.names)
    return {m for m in out if m in modules and m != name}


def test_the_import_graph_of_the_package_has_no_circle():
    modules = _modules()
    graph = {name: _imports(name, path, modules) for name, path in modules.items()}
    state: dict[str, int] = {}
    cycles = []

    def visit(node, trail):
        state[node] = 1
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                cycles.append(trail[trail.index(nxt):] + [nxt])
            elif nxt not in state:
                visit(nxt, trail + [nxt])
        state[node] = 2

    for name in sorted(graph):
        if name not in state:
            visit(name, [name])
    assert cycles == []


def test_the_domain_and_the_jobs_hold_no_prose():
    """Texts a person reads come from the catalog or templates/mail; the only Chinese allowed in domain/ is the
    frozen eligibility sentences and the reference data (the TRL scale, the default rubric's criteria)."""
    allowed = {PACKAGE / "domain" / name for name in ("eligibility.py", "trl.py", "rubric.py")}
    offenders = [f"{path.relative_to(PACKAGE)}:{number}"
                 for path in sorted((PACKAGE / "domain").glob("*.py")) + sorted((PACKAGE / "jobs").glob("*.py"))
                 if path not in allowed
                 for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if CJK.search(line)]
    assert offenders == []


def test_no_enum_is_restated_by_hand_in_the_api():
    offenders = [f"{path.name}:{number}" for path in sorted((PACKAGE / "api").glob("*.py"))
                 for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
                 if "Literal[" in line]
    assert offenders == []


def test_the_api_is_declared_once():
    assert not (PACKAGE / "api" / "openapi.py").exists()
    core = (PACKAGE / "api" / "core.py").read_text(encoding="utf-8")
    assert "REGISTRY" not in core and "def route(" not in core
