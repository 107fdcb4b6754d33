"""The field registry: every output field declared once, and the output contract derived from it.

Other tools read pathx output, so field names, vocabularies and columns are fixed. Each field is
one `Field` entry in `FIELDS` (output order); everything that knows about fields reads it from
here: output columns and label checks (below), prompt field names and hint keys
(ingestion/prompt.py), rule validation and per-field resolution (rules/), the naive baseline
(rules/naive.py with rules/fields/naive.toml), bootstrap coverage (rules/bootstrap.py), the
generative baseline's answer parsing and the benchmark tables (bench/).

Adding a field (Ki-67, say) is one `Field` entry plus its rules in the rule file it names (and,
when none of the resolvers in pathx/rules/resolve.py fits, one new resolver there);
tests/rules/test_field_registry.py fails while any of those pieces is missing.

`pathx.schema` is the older name of this module and stays importable as an alias.
"""
from __future__ import annotations

from dataclasses import dataclass

# Models get one extra class per head so they can abstain when the report holds no evidence.
NOT_REPORTED = "not reported"

# How a generated answer names a class (bench/generative.py parses each style).
ANSWER_STYLES = ("tnm", "grade", "word")


@dataclass(frozen=True)
class Field:
    """One output field and every per-field fact the pipeline needs.

    name       task key and output column ("t_stage"); also the `task` of its rules
    display    human name in prompts (the paper's "Field" block) and tables ("T Stage")
    short      compact name for table headers ("T")
    vocab      contract labels; None / empty in output = not reported
    hint       key of its line in the prompt's Hints block ("T_hint")
    rule_file  rule file (relative to the rules directory) holding its rules
    resolver   how its mentions become one finding: a name in pathx.rules.resolve.RESOLVERS
    naive      how the naive baseline reads it: "code:<key>" = the [naive] pattern <key> through
               the map named <key>_map; "marker" = keyword proximity around [naive.markers].<name>
    mention    regex (case-insensitive): the report mentions the field (bootstrap coverage loop)
    answer     how a generated answer is parsed: "tnm" (prefixes/suffixes allowed), "grade"
               (G2, grade 2, grade II) or "word" (the label as a word)
    cues       the cue lexicon (case-insensitive regexes): every name, synonym, abbreviation and
               table heading under which a site writes the field, broader than the rules' value
               patterns; the learned reader's evidence input is the sentences holding a cue
               (pathx/ingestion/evidence.py). Written from the reporting standards (AJCC, CAP,
               RCPath, ASCO/CAP), never fitted to a report set.
    """

    name: str
    display: str
    short: str
    vocab: tuple[str, ...]
    hint: str
    rule_file: str
    resolver: str
    naive: str
    mention: str
    answer: str
    cues: tuple[str, ...] = ()

    @property
    def cue_pattern(self) -> str:
        """One case-insensitive regex of the field's cue lexicon (`mention` when it has none)."""
        return "|".join(f"(?:{c})" for c in self.cues) if self.cues else self.mention

    @property
    def classes(self) -> tuple[str, ...]:
        """Class list of a model head: the contract vocabulary plus `not reported`."""
        return self.vocab + (NOT_REPORTED,)


_STATUS = ("Positive", "Negative", "Equivocal")

FIELDS: tuple[Field, ...] = (
    Field("t_stage", "T Stage", "T", ("Tis", "T0", "T1", "T2", "T3", "T4"), "T_hint",
          "fields/tnm.toml", "t_stage", "code:t",
          r"\b[yrpc]{0,2}T[0-4Xxis]|primary tumou?r|tumou?r size", "tnm",
          cues=(r"\b[yrpc]{0,3}T(?:[0-4Xx]|is)\w{0,3}\b", r"primary tumou?r", r"tumou?r (?:size|extent)", r"\bsize\b",
           r"(?:greatest|largest|maximum|max\.?) (?:dimension|diameter|extent|size)", r"\bmeasur", r"\b\d+(?:[.,]\d+)? ?(?:cm|mm)\b",
           r"invasive (?:ductal |lobular |mammary )?carcinoma", r"in[ -]situ|\bDCIS\b|\bLCIS\b", r"residual",
           r"micro-?invasi", r"skin|chest wall|ulcerat|satellite|inflammatory|peau", r"\bstag(?:e|ing)\b|\bTNM\b",
           r"\bpathologic(?:al)? (?:stage|classification)")),
    Field("n_stage", "N Stage", "N", ("N0", "N1mi", "N1", "N2", "N3"), "N_hint",
          "fields/tnm.toml", "n_stage", "code:n",
          r"\b[yp]{0,2}N[0-3Xx]|lymph node", "tnm",
          cues=(r"\b[yp]{0,2}N[0-3Xx]\w{0,3}\b", r"lymph ?nodes?|\bnodes?\b|\bnodal\b|\bLNs?\b", r"sentinel|axilla|axillary",
           r"metasta", r"micro-?metasta|isolated tumou?r cells|\bITCs?\b", r"extra-?nodal|extracapsular|\bENE\b",
           r"(?<![/\d.])\b(?:\d+|zero|one|two|three|four|five|six|seven|eight|nine|ten)\s*(?:/|of|out of)\s*\d+\b(?![/\d.])",
           r"\bstag(?:e|ing)\b|\bTNM\b", r"regional")),
    Field("m_stage", "M Stage", "M", ("M0", "M1"), "M_hint",
          "fields/tnm.toml", "written", "code:m",
          r"\b[cp]?M[01Xx]\b|distant metasta", "tnm",
          cues=(r"\b[cpy]{0,2}M[01Xx]\w{0,3}\b", r"distant", r"metasta", r"\bstag(?:e|ing)\b|\bTNM\b",
           r"not (?:applicable|assessed|assessable)|cannot be assessed", r"bone|liver|lung|brain|pleura")),
    Field("grade", "Histologic Grade", "Grade", ("G1", "G2", "G3"), "Grade_hint",
          "fields/grade.toml", "histologic_grade", "code:grade",
          r"grade|nottingham|differentiated", "grade",
          cues=(r"grade|\bgrading\b", r"nottingham|bloom|richardson|\bSBR\b|\bBR\b|elston|ellis|scarff",
           r"differentiat", r"tubul|gland(?:ular)? formation|acinar", r"pleomorph|nuclear (?:score|atypia)",
           r"mito(?:tic|ses|sis)|\bMAI\b", r"\bscore\b|\bpoints?\b", r"\bG[1-3X]\b")),
    Field("er", "ER Status", "ER", _STATUS, "ER_hint",
          "fields/receptors.toml", "best", "marker",
          r"\bER\b|estrogen|oestrogen", "word",
          cues=(r"\bER\b|\bERs?[-+:]|\bER-?alpha|\bERa\b", r"estrogen|oestrogen", r"hormone receptors?|\bHR\b",
         r"allred|h-?score|quick ?score|\bIRS\b", r"\bSP1\b|\b6F11\b|\b1D5\b", r"nuclear (?:staining|positivity|reactivity)",
         r"receptor")),
    Field("pr", "PR Status", "PR", _STATUS, "PR_hint",
          "fields/receptors.toml", "best", "marker",
          r"\bPR\b|\bPgR\b|progesterone", "word",
          cues=(r"\bPR\b|\bPRs?[-+:]|\bPgR\b|\bPGR\b|\bPRA?\b", r"progesteron", r"hormone receptors?|\bHR\b",
         r"allred|h-?score|quick ?score|\bIRS\b", r"\b1E2\b|\bPgR ?636\b", r"nuclear (?:staining|positivity|reactivity)",
         r"receptor")),
    Field("her2", "HER2 Status", "HER2", _STATUS, "HER2_hint",
          "fields/receptors.toml", "her2", "marker",
          r"HER-?2|erbb2|neu\b", "word",
          cues=(r"her-?2|her ?2|\bneu\b|erbb-?2|c-?erb-?b-?2|\bCB11\b|4B5|herceptest", r"\b(?:FISH|ISH|CISH|SISH|DISH|BDISH)\b|in situ hybridi[sz]ation",
           r"amplif", r"\bCEP-?17|chromosome 17|ratio", r"\b[0-3] ?\+|\b[0-3]\+|score [0-3]\b", r"membran")),
)

BY_NAME: dict[str, Field] = {f.name: f for f in FIELDS}

# ---------------------------------------------------------------- derived: the output contract
TASKS: tuple[str, ...] = tuple(f.name for f in FIELDS)
VOCAB: dict[str, tuple[str, ...]] = {f.name: f.vocab for f in FIELDS}
FIELD_NAMES: dict[str, str] = {f.name: f.display for f in FIELDS}
HINT_NAMES: dict[str, str] = {f.name: f.hint for f in FIELDS}
SHORT_NAMES: dict[str, str] = {f.name: f.short for f in FIELDS}

SPECIMENS: tuple[str | None, ...] = ("left", "right", None)

# Registry output (derived deterministically from the fields and the rule engine's evidence,
# pathx/registry): the categories as written, the assay results, and the AJCC 8th ed. stage groups.
# detail column -> the field whose value it refines (pathx/registry drops a detail that disagrees)
DETAILS: dict[str, str] = {"t_detail": "t_stage", "n_detail": "n_stage", "m_detail": "m_stage", "ihc_her2": "her2",
                           "ish_her2": "her2", "er_percent": "er", "pr_percent": "pr"}
DETAIL_COLUMNS: tuple[str, ...] = tuple(DETAILS)
STAGE_COLUMNS: tuple[str, ...] = ("anatomic_stage", "prognostic_stage")

# The contract's columns. New columns only ever go at the end, so readers of older outputs keep
# working: `review` (the fields a person must check, ";"-joined) came with rule set 1.2.0, then
# the registry columns.
OUTPUT_COLUMNS: tuple[str, ...] = (
    ("file", "specimen")
    + TASKS
    + tuple(f"{t}_confidence" for t in TASKS)
    + ("needs_review", "status", "error", "bundle")
    + ("review",)
    + DETAIL_COLUMNS
    + STAGE_COLUMNS
)


def field(name: str) -> Field:
    """The registry entry of a task; an unknown name raises ValueError listing the tasks."""
    if name not in BY_NAME:
        raise ValueError(f"unknown task {name!r}; tasks are {', '.join(TASKS)}")
    return BY_NAME[name]


def model_classes(task: str) -> tuple[str, ...]:
    """Class list of a model head: the contract vocabulary plus `not reported`."""
    return VOCAB[task] + (NOT_REPORTED,)


def check_label(task: str, value: str | None) -> str | None:
    """Validate a label of labelled data: a contract label, `not reported`, or None (unknown).

    `not reported` is a training target (the report truly states nothing; the model learns to
    abstain); None / "" means unknown and is masked out of that task's loss.
    """
    if task not in VOCAB:
        raise ValueError(f"unknown task {task!r}; tasks are {', '.join(TASKS)}")
    if value is None or value == "":
        return None
    if value != NOT_REPORTED and value not in VOCAB[task]:
        raise ValueError(f"{task}: {value!r} is not one of {', '.join(model_classes(task))}")
    return value
