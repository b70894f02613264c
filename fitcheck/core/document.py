"""The analysis as a typed document: what every output format renders and what
``fitcheck report`` reads back.

:class:`WorkloadRecord` is one workload (the JSON ``workloads`` entries);
:class:`AnalysisDocument` is the whole file. Reading a saved analysis goes through
:meth:`AnalysisDocument.model_validate_json`, so a trimmed or hand-edited file fails on the
field it breaks, not somewhere inside a formatter. Numbers are finite and bounded, texts and
lists are bounded, and unknown keys are errors. The columnar engine stays inside the core:
:mod:`fitcheck.core.records` converts its table to these records and back.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, create_model

from fitcheck.core.profile import CompileCache, DynamicShapes, MultiNode, Versions
from fitcheck.core.schema import FIELDS

#: the most workloads one saved analysis may hold (an import writes at most this many)
MAX_WORKLOADS = 5_000_000
MAX_TEXT = 20_000
MONEY = 1e15  # bigger than any real training budget; rules out absurd hand edits

Text = Annotated[str, Field(max_length=MAX_TEXT)]
Short = Annotated[str, Field(max_length=2_000)]
Usd = Annotated[float, Field(ge=-MONEY, le=MONEY, allow_inf_nan=False)]
Number = Annotated[float, Field(ge=-1e12, le=1e12, allow_inf_nan=False)]
Decision = Literal["enable", "benchmark", "skip"]
Status = Literal["pass", "warn", "fail", "unknown"]


class _Doc(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class Range(_Doc):
    """A low / expected (mid) / high triple; a missing level is null."""

    low: Usd | None
    mid: Usd | None
    high: Usd | None


class Finding(_Doc):
    rule: Short
    status: Status
    message: Text | None
    remedy: Text | None = None


class BenchmarkPlan(_Doc):
    command: Text
    # where it runs: a local 'fitcheck bench' on the single-GPU sibling, or paired SageMaker jobs
    where: Text | None
    hours: Number | None
    cost_usd: Usd | None
    decide_by: Text | None


def _input_field(spec: Any) -> tuple[Any, Any]:
    kind = spec.kind
    base: Any
    if kind == "enum":
        base = Literal[spec.allowed]  # type: ignore[valid-type]
    elif kind == "bool":
        base = bool
    elif kind == "int":
        base = Annotated[int, Field(ge=-(10**15), le=10**15)]
    elif kind == "float":
        base = Number
    else:
        base = Text
    return (base | None, None)


#: every inventory field as analysed (name and tags sit on the record itself)
Inputs: type[BaseModel] = create_model(  # type: ignore[call-overload]
    "Inputs",
    __config__=ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False),
    **{n: _input_field(s) for n, s in FIELDS.items() if n not in ("name", "tags")},
)


CompileBasis = Literal["none", "cold (prior)", "cold (measured)", "warm (measured)"]


class WorkloadRecord(_Doc):
    """One workload: the decision, its reasons, the money and what to do next."""

    name: Text
    decision: Decision
    compiler: Short
    candidate_compiler: Short
    score: Annotated[int, Field(ge=0, le=100)]
    main_reason: Text | None
    # skip: the remedy that would unblock the workload (null for enable and benchmark)
    unblock: Text | None
    evidence: Literal["prior", "measured"]
    evidence_source: Text | None
    compile_overhead_minutes: Number | None
    # which compile time it is: the profile's cold figure (prior), or a benchmark's cold or warm
    # figure (warm: the job recurs and keeps its compile cache); none when nothing is compiled
    compile_overhead_basis: CompileBasis | None
    break_even_minutes: Number | None
    hourly_price_usd: Usd | None
    price_source: Text | None
    price_date: Short | None
    price_stale: bool | None
    cost_per_run_usd: Usd | None
    cost_per_year_usd: Usd | None
    recommended_batch_size: Annotated[int, Field(ge=0, le=10**9)] | None
    learning_rate_scale: Number | None
    change: Text | None
    expected_speedup: Range
    savings_per_run_usd: Range
    savings_per_year_usd: Range
    one_time_cost_usd: Usd
    net_first_year_usd: Range | None
    payback_weeks: Number | None
    findings: Annotated[list[Finding], Field(max_length=200)]
    next_steps: Annotated[list[Text], Field(max_length=200)]
    benchmark_plan: BenchmarkPlan | None
    loss_parity_ok: bool | None
    inputs: Inputs  # type: ignore[valid-type]
    tags: Annotated[dict[Short, Text], Field(max_length=200)]


class Line(_Doc):
    """One of the three lines of the finance view (committed, pending, not pursued)."""

    workloads: Annotated[int, Field(ge=0, le=MAX_WORKLOADS)]
    spend_per_year_usd: Usd
    savings_per_year_usd: Range | None
    one_time_cost_usd: Usd
    net_first_year_usd: Range | None
    payback_weeks: Number | None


class Case(_Doc):
    case: Short
    net_first_year_usd: Usd


class Sensitivity(_Doc):
    factor: Short
    base_usd: Usd
    low: Case
    high: Case


class Confidence(_Doc):
    measured_share: Annotated[float, Field(ge=0, le=1)]
    pending_share: Annotated[float, Field(ge=0, le=1)]
    sentence: Text


class Counts(_Doc):
    enable: Annotated[int, Field(ge=0, le=MAX_WORKLOADS)]
    benchmark: Annotated[int, Field(ge=0, le=MAX_WORKLOADS)]
    skip: Annotated[int, Field(ge=0, le=MAX_WORKLOADS)]


class SpendByDecision(_Doc):
    enable: Usd
    benchmark: Usd
    skip: Usd


class Totals(_Doc):
    workloads: Annotated[int, Field(ge=0, le=MAX_WORKLOADS)]
    spend_per_year_usd: Usd
    savings_per_year_usd: Range
    savings_basis: Short
    decisions: Counts
    spend_by_decision_usd: SpendByDecision
    committed: Line
    pending: Line
    not_pursued: Line
    decision_requested: Text
    sensitivity: Annotated[list[Sensitivity], Field(max_length=20)]
    confidence: Confidence


class Group(_Doc):
    """The three lines for one value of a tag (``--group-by``)."""

    tag: Short
    value: Text | None
    workloads: Annotated[int, Field(ge=0, le=MAX_WORKLOADS)]
    committed: Line
    pending: Line
    not_pursued: Line


class PriceRow(_Doc):
    instance_type: Short
    price_usd_per_hour: Usd
    price_basis: Short | None
    price_source: Text | None
    price_date: Short | None
    stale: bool


class PriceCatalog(_Doc):
    note: Text
    as_of: Short | None
    stale_after_days: int
    instances: Annotated[list[PriceRow], Field(max_length=MAX_WORKLOADS)]  # one per override at most


class Provenance(_Doc):
    inventory_sha256: Short | None
    profile_name: Short
    profile_sha256: Short | None
    fitcheck_version: Short


class PriorSummary(_Doc):
    match: dict[Short, Short | list[Short]]
    speedup: tuple[Number, Number, Number]
    why: Text


class ProfileSummary(_Doc):
    """Every section of the policy as used (``measured`` is written ``measured_policy``); the
    version, dynamic-shape and multi-node sections are read back through the profile's own
    models, so a hand-edited one fails as it would in policy.yaml."""

    name: Short
    sources: dict[Short, Text]
    version: Annotated[int, Field(ge=1, le=1)]
    thresholds: dict[Short, Number]
    measured_policy: dict[Short, Number]
    versions: Versions
    compile_overhead_minutes: dict[Short, Number]
    dynamic_shape_compilations: Number
    dynamic_shapes: dict[Short, DynamicShapes]
    multi_node: MultiNode
    compile_cache: CompileCache
    benchmark: dict[Short, Number]
    finance: dict[Short, Number | list[Number]]
    rule_weights: dict[Short, Number]
    priors: Annotated[list[PriorSummary], Field(max_length=1_000)]


class Formula(_Doc):
    name: Short
    formula: Text


class EvidenceSummary(_Doc):
    bench_files: Annotated[list[Text], Field(max_length=10_000)]
    measured_workloads: Annotated[int, Field(ge=0, le=MAX_WORKLOADS)]
    # written by the benchmark's own results model; kept as it was read
    measurements: Annotated[list[dict[Short, Any]], Field(max_length=100_000)]


class RuleSummary(_Doc):
    id: Short
    name: Short
    factor: Text


class Head(_Doc):
    """Everything but the workloads: what the summary views render from."""

    fitcheck_version: Short
    generated_at: Short
    inventory: Text
    provenance: Provenance | None = None
    price_catalog: PriceCatalog
    totals: Totals
    rollup: Annotated[list[Group], Field(max_length=MAX_WORKLOADS + 1)] | None = None
    profile: ProfileSummary
    formulas: Annotated[list[Formula], Field(max_length=200)]
    evidence: EvidenceSummary
    rules: Annotated[list[RuleSummary], Field(max_length=500)]
    unmatched_bench_results: Annotated[list[dict[Short, Text | None]], Field(max_length=100_000)]


class AnalysisDocument(Head):
    """The whole saved analysis (``fitcheck analyze --format json``)."""

    workloads: Annotated[list[WorkloadRecord], Field(max_length=MAX_WORKLOADS)]


#: the order of the top-level keys in the JSON file (workloads after the totals)
TOP_KEYS = (
    "fitcheck_version",
    "generated_at",
    "inventory",
    "provenance",
    "price_catalog",
    "totals",
    "rollup",
    "workloads",
    "profile",
    "formulas",
    "evidence",
    "rules",
    "unmatched_bench_results",
)
