"""Technology readiness levels (DESIGN §3): the 9-level scale and its validation.

Wording follows the common Chinese rendering of GB/T 22900 and the NASA / EU Horizon definitions.
Pure standard library: values in, values out.
"""
from __future__ import annotations

TRL_MIN = 1
TRL_MAX = 9

TRL_LEVELS: dict[int, dict[str, str]] = {
    1: {"zh": "基本原理被发现和报告", "en": "Basic principles observed and reported"},
    2: {"zh": "形成技术概念或应用方案", "en": "Technology concept and/or application formulated"},
    3: {
        "zh": "关键功能和特性通过分析和实验得到概念验证",
        "en": "Analytical and experimental critical function and/or characteristic proof of concept",
    },
    4: {"zh": "实验室环境中的部件或原理样机验证", "en": "Component and/or breadboard validation in laboratory environment"},
    5: {"zh": "相关环境中的部件或原理样机验证", "en": "Component and/or breadboard validation in relevant environment"},
    6: {
        "zh": "相关环境中的系统/分系统模型或原型样机演示",
        "en": "System/subsystem model or prototype demonstration in a relevant environment",
    },
    7: {"zh": "实际运行环境中的系统原型样机演示", "en": "System prototype demonstration in an operational environment"},
    8: {
        "zh": "实际系统完成并通过试验和演示验证",
        "en": "Actual system completed and qualified through test and demonstration",
    },
    9: {"zh": "实际系统通过成功运行得到验证", "en": "Actual system proven in operational environment"},
}


def _lang(lang: str | None) -> str:
    """'en', 'en_US', 'en-GB' → 'en'; anything else (the UI default) → 'zh'."""
    return "en" if lang and str(lang).lower().startswith("en") else "zh"


def validate_trl(value: object) -> int:
    """Return `value` if it is an int in 1..9; otherwise raise ValueError.

    bool, float, str and None are refused even when they look like a level ("3", 3.0, True).
    """
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"TRL must be an integer from {TRL_MIN} to {TRL_MAX}, got {value!r}")
    if not TRL_MIN <= value <= TRL_MAX:
        raise ValueError(f"TRL must be from {TRL_MIN} to {TRL_MAX}, got {value}")
    return value


def trl_definition(level: int, lang: str = "zh") -> str:
    """The bare definition of a level, e.g. trl_definition(9, "en") == "Actual system proven in …"."""
    return TRL_LEVELS[validate_trl(level)][_lang(lang)]


def trl_label(level: int, lang: str = "zh") -> str:
    """A display label: 'TRL 3：关键功能…' (zh) or 'TRL 3: Analytical and …' (en)."""
    sep = ": " if _lang(lang) == "en" else "："
    return f"TRL {validate_trl(level)}{sep}{trl_definition(level, lang)}"


def trl_choices(lang: str = "zh") -> list[tuple[int, str]]:
    """(level, label) pairs for a select field, 1..9."""
    return [(level, trl_label(level, lang)) for level in range(TRL_MIN, TRL_MAX + 1)]


def clamp_trl(value: int) -> int:
    """Clamp an integer into 1..9 (non-integers raise ValueError)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"TRL must be an integer, got {value!r}")
    return max(TRL_MIN, min(TRL_MAX, value))
