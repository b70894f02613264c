"""Render the rule reference (docs/rules.md) from the rules' own metadata."""

from __future__ import annotations

import inspect

from fitcheck.core.rules import RULES

HEADER = """# Rules reference

Generated from the rules' metadata by `python -m fitcheck.core.rules.docs > docs/rules.md`
(a test keeps it in step). Each rule reads columns of the analysis context and the
policy thresholds named below (`profiles/default/policy.yaml`), and gives every workload
one finding: `pass`, `warn`, `fail` or `unknown` (or none when it does not apply, e.g.
when no compiler applies at all). The policy step then decides:

- evidence `prior`: any `fail` -> **skip**; any `warn` or `unknown` -> **benchmark**;
  all `pass` -> **enable**;
- evidence `measured`: any `fail` -> **skip**; otherwise `measured_speedup` decides
  (`pass` -> **enable**, `warn` -> **benchmark** longer).

The fit score (0-100) is the weighted share of passing findings (warn and unknown
count half; weights in `rule_weights`).
"""


def render() -> str:
    parts = [HEADER]
    for rule in RULES:
        module = inspect.getmodule(rule.check)
        doc = (module.__doc__ or "").strip() if module else ""
        statuses = [
            s
            for s in ("pass", "warn", "fail", "unknown")
            if module and f"Status.{s.upper()}" in inspect.getsource(module)
        ]
        parts.append(
            f"\n## `{rule.id}`: {rule.name}\n\n{rule.factor}\n\n{doc}\n\n"
            f"- reads: {', '.join(f'`{r}`' for r in rule.reads)}\n"
            f"- thresholds: {', '.join(f'`{t}`' for t in rule.thresholds) or 'none'}\n"
            f"- statuses it can give: {', '.join(statuses)}\n"
            f"- source: `fitcheck/core/rules/{rule.check.__module__.rsplit('.', 1)[-1]}.py`; "
            f"cases: `tests/core/rule_cases/{rule.id}.yaml`\n"
        )
    return "".join(parts)


if __name__ == "__main__":  # pragma: no cover
    print(render(), end="")
