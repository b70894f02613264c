"""Render the rule reference (docs/rules.md) from the rules' own metadata."""

from __future__ import annotations

import inspect

from fitcheck.core.rules import RULES

HEADER = """# Rules reference

Generated from the rules' metadata by `python -m fitcheck.core.rules.docs > docs/rules.md`
(a test keeps it in step). Each rule reads columns of the analysis context and the
policy thresholds named below (`profiles/default/policy.yaml`), and gives every workload
one finding: `pass`, `warn`, `fail` or `unknown` (or none when it does not apply, e.g.
when there is nothing to turn on). A `fail` is *fixable* when a change to the job removes
it (the remedy says which). Each rule has a **role**; the policy step knows rules only by
role, never by id:

- `gate`: a fail is a misfit no fix on this job removes -> **skip**;
- `condition`: a fixable fail is fixed first -> **benchmark** with the fix as the first
  step when the expected savings once fixed clear `min_annual_savings_usd`, else **skip**
  with the fix as the remedy; a fail that is not fixable -> **skip**;
- `evidence`: warn or unknown -> **benchmark**;
- `value`: the dollars; a fail -> **skip**, its pass is the reason to enable;
- `measurement`: with a benchmark result (evidence `measured`) it decides: `pass` ->
  **enable**, `fail` -> **skip**, `warn` -> **benchmark** longer;
- `advisory`: reported with its remedy, never changes the decision.

Without a measurement, all `pass` (advisory aside) -> **enable**. The fit score (0-100)
is the weighted share of passing findings (warn and unknown count half; weights in
`rule_weights`, whose keys must be rule ids).
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
            f"- role: `{rule.role}`\n"
            f"- reads: {', '.join(f'`{r}`' for r in rule.reads)}\n"
            f"- thresholds: {', '.join(f'`{t}`' for t in rule.thresholds) or 'none'}\n"
            f"- statuses it can give: {', '.join(statuses)}\n"
            f"- source: `fitcheck/core/rules/{rule.check.__module__.rsplit('.', 1)[-1]}.py`; "
            f"cases: `tests/core/rule_cases/{rule.id}.yaml`\n"
        )
    return "".join(parts)


if __name__ == "__main__":  # pragma: no cover
    print(render(), end="")
