"""Named, documented thresholds of the document and face checks.

Each analysis module registers its defaults (calibrated on the generator's corpus; see
docs/checks.md) with `thresholds_register`; an operator overrides any of them with the
`KYC_CHECK_THRESHOLDS` setting (a JSON object in the environment), never by editing code.
"""

from dataclasses import dataclass

from django.conf import settings


@dataclass(frozen=True)
class ThresholdSpec:
    default: float
    help: str


_DEFAULTS: dict[str, ThresholdSpec] = {}


def thresholds_register(specs: dict[str, ThresholdSpec]) -> None:
    for name, spec in specs.items():
        if name in _DEFAULTS and _DEFAULTS[name] != spec:
            raise ValueError(f"threshold {name!r} registered twice with different defaults")
        _DEFAULTS[name] = spec


def threshold(name: str) -> float:
    """The threshold in force: the operator's override, else the registered default."""
    overrides = getattr(settings, "KYC_CHECK_THRESHOLDS", {}) or {}
    if name in overrides:
        return float(overrides[name])
    return _DEFAULTS[name].default


def thresholds_all() -> dict[str, ThresholdSpec]:
    return dict(_DEFAULTS)
