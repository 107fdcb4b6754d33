"""Resolution: a field's current mentions become one Finding (or None).

Each field of the registry names its resolver (`Field.resolver`); resolvers are registered by
name in `RESOLVERS` and called as `resolver(mentions, report)` with the field's mentions from
current sections (flags excluded) and the report-level facts (`Report`). The default is `best`:
the highest-ranked mention (section priority, then strength, then first). The others hold the
field-specific logic that needs more than one mention: written T/N before size / node-count
fallbacks, DCIS-only -> Tis and no grade, node counts summed per section, HER2 IHC combined with
ISH ratio / copy number per ASCO/CAP 2018.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from pathx.rules.kinds import bucket, norm_key
from pathx.rules.match import Finding, Mention

# Fallback tables the resolvers read (checked present when the rule set is loaded).
RESOLVER_TABLES = ("count_to_n", "deposit_mm", "her2")


@dataclass(frozen=True)
class Report:
    """What the resolvers know beyond one field's mentions."""

    flags: dict[str, Mention]  # flag -> its first mention in current sections
    tables: dict[str, dict]

    @property
    def dcis_only(self) -> bool:
        """DCIS with invasive carcinoma negated and none stated."""
        f = self.flags
        return "dcis" in f and "no_invasive" in f and "invasive" not in f


Resolver = Callable[[list[Mention], Report], "Finding | None"]
RESOLVERS: dict[str, Resolver] = {}


def resolver(name: str) -> Callable[[Resolver], Resolver]:
    def add(fn: Resolver) -> Resolver:
        RESOLVERS[name] = fn
        return fn
    return add


def best_mention(ms: list[Mention]) -> Mention | None:
    ms = [m for m in ms if m.value is not None or m.number is not None]
    return max(ms, key=Mention.rank) if ms else None


def best(ms: list[Mention]) -> Finding | None:
    ms = [m for m in ms if m.value]
    return max(ms, key=Mention.rank).finding() if ms else None


@resolver("best")
def resolve_best(ms: list[Mention], report: Report) -> Finding | None:
    return best(ms)


@resolver("histologic_grade")
def resolve_grade(ms: list[Mention], report: Report) -> Finding | None:
    """A DCIS-only report has no histologic grade (a DCIS nuclear grade is not one)."""
    return None if report.dcis_only else best(ms)


@resolver("written")
def resolve_written(ms: list[Mention], report: Report | None = None) -> Finding | None:
    """Written categories only; only "X" (not assessable) written -> None."""
    return best([m for m in ms if m.written and m.value])


@resolver("t_stage")
def resolve_t(ms: list[Mention], report: Report) -> Finding | None:
    if any(m.written for m in ms):
        return resolve_written(ms)
    flags = report.flags
    if "core_biopsy" in flags and "resection" not in flags:
        return None  # a core biopsy is not staged: its extent in a core is not the tumour's size
    if report.dcis_only:
        return flags["dcis"].finding("Tis")
    if {"no_residual", "neoadjuvant"} <= set(flags) and "invasive" not in flags and "dcis" not in flags:
        return flags["no_residual"].finding("T0")
    if "no_invasive" in flags and "invasive" not in flags:
        return None  # a size here is not the size of an invasive carcinoma
    return best([m for m in ms if m.rule.kind == "size_t"])


@resolver("n_stage")
def resolve_n(ms: list[Mention], report: Report) -> Finding | None:
    if any(m.written for m in ms):
        return resolve_written(ms)
    nodal = [m for m in ms if m.rule.kind in ("node_count", "node_deposit")]
    if not nodal:
        return None
    # Counts from the best sections only, each statement counted once: a synoptic total and the
    # diagnosis lines count the same nodes, so totals win over summing the parts.
    top = max(m.priority for m in nodal)
    counts = [m for m in nodal if m.priority == top and m.rule.kind == "node_count"]
    deposits = [m for m in nodal if m.rule.kind == "node_deposit"]
    totals = [m for m in counts if m.rule.total]
    dm, count_to_n = report.tables["deposit_mm"], report.tables["count_to_n"]
    if totals:
        return _from_totals(totals, dm, count_to_n)
    if not counts:  # no counts: a deposit statement alone
        d = best(deposits)
        return d if d and d.value else None
    counted: list[Mention] = []
    for m in sorted(counts, key=lambda m: m.start):
        if any(_same_count(m, c) for c in counted):
            continue  # "in three of three lymph nodes (3/3)", or a line repeated in another section
        counted.append(m)
    positives = sum(m.number for m in counted)
    evidence = max(counts, key=lambda m: (m.number, -m.start))
    kinds = {m.deposit for m in deposits}
    if positives == 0 or kinds == {"itc"}:  # isolated tumour cells only: pN0(i+)
        return evidence.finding("N0")
    if positives <= dm["micro_max_nodes"] and "micro" in kinds and "macro" not in kinds:
        micro = next(m for m in deposits if m.deposit == "micro")
        return micro.finding("N1mi")
    return evidence.finding(bucket(positives, count_to_n["upper"], count_to_n["labels"]))


def _from_totals(totals: list[Mention], dm: dict, count_to_n: dict) -> Finding:
    """Synoptic totals (the first of each rule): macro + micro positives -> N."""
    firsts: dict[str, Mention] = {}
    for m in sorted(totals, key=lambda m: m.start):
        firsts.setdefault(m.rule.name, m)
    macro = sum(m.number for m in firsts.values() if m.deposit in ("any", "macro"))
    micro = sum(m.number for m in firsts.values() if m.deposit == "micro")
    positives = macro + micro
    evidence = max(firsts.values(), key=lambda m: (m.number, -m.start))
    if positives == 0:
        return evidence.finding("N0")
    if macro == 0 and micro <= dm["micro_max_nodes"]:
        return evidence.finding("N1mi")
    return evidence.finding(bucket(positives, count_to_n["upper"], count_to_n["labels"]))


def _same_count(a: Mention, b: Mention) -> bool:
    """Two node-count mentions that state the same count: same sentence, or the same words elsewhere."""
    if a.number != b.number or (a.of_total is not None and b.of_total is not None and a.of_total != b.of_total):
        return False
    return a.sentence == b.sentence or (a.rule is b.rule and norm_key(a.evidence) == norm_key(b.evidence))


@resolver("her2")
def resolve_her2(ms: list[Mention], report: Report) -> Finding | None:
    """IHC 3+ is positive whatever ISH shows; ISH resolves an equivocal (2+) or pending IHC."""
    ihc = best_mention([m for m in ms if m.rule.kind in ("her2_ihc", "map")])
    ratio = best_mention([m for m in ms if m.rule.kind == "her2_ratio"])
    copies = best_mention([m for m in ms if m.rule.kind == "her2_copies"])
    ish_word = best_mention([m for m in ms if m.rule.kind == "her2_ish"])
    ish_value, ish_mention = None, None
    if ratio or copies:
        ish_value = ish_group(ratio.number if ratio else None, copies.number if copies else None,
                              report.tables["her2"])
        ish_mention = ratio or copies
    elif ish_word:
        ish_value, ish_mention = ish_word.value, ish_word
    if ish_value is None:
        return ihc.finding() if ihc else None
    if ihc is not None and ihc.value == "Positive" and ihc.priority >= ish_mention.priority:
        return ihc.finding()  # IHC 3+ is positive whatever ISH shows
    # ISH resolves an equivocal (2+) or pending IHC, and is the reflex test after any IHC.
    return ish_mention.finding(ish_value)


def ish_group(ratio: float | None, copies: float | None, her2: dict) -> str:
    """ASCO/CAP 2018 HER2 ISH groups (dual probe), simplified as rules/fields/receptors.toml says."""
    cut, low, high = her2["ratio_cut"], her2["copies_low"], her2["copies_high"]
    if ratio is not None and copies is not None:
        if ratio >= cut:
            return "Positive" if copies >= low else "Negative"  # group 1 / group 2
        return "Positive" if copies >= high else "Negative"  # group 3 / groups 4-5
    if ratio is not None:
        return "Positive" if ratio >= cut else "Negative"
    if copies >= high:
        return "Positive"
    return "Negative" if copies < low else "Equivocal"
