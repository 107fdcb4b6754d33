"""The output contract: tasks, label vocabularies and output columns.

Other tools read pathx output, so these names are fixed. Every other module takes
tasks and vocabularies from here.
"""
from __future__ import annotations

TASKS: tuple[str, ...] = ("t_stage", "n_stage", "m_stage", "grade", "er", "pr", "her2")

# Label vocabularies of the output contract. None / empty = not reported.
VOCAB: dict[str, tuple[str, ...]] = {
    "t_stage": ("Tis", "T0", "T1", "T2", "T3", "T4"),
    "n_stage": ("N0", "N1mi", "N1", "N2", "N3"),
    "m_stage": ("M0", "M1"),
    "grade": ("G1", "G2", "G3"),
    "er": ("Positive", "Negative", "Equivocal"),
    "pr": ("Positive", "Negative", "Equivocal"),
    "her2": ("Positive", "Negative", "Equivocal"),
}

# Models get one extra class per head so they can abstain when the report holds no evidence.
NOT_REPORTED = "not reported"

# Human names used in prompts (the paper's "Field" block) and tables.
FIELD_NAMES: dict[str, str] = {
    "t_stage": "T Stage",
    "n_stage": "N Stage",
    "m_stage": "M Stage",
    "grade": "Histologic Grade",
    "er": "ER Status",
    "pr": "PR Status",
    "her2": "HER2 Status",
}

SPECIMENS: tuple[str | None, ...] = ("left", "right", None)

OUTPUT_COLUMNS: tuple[str, ...] = (
    ("file", "specimen")
    + TASKS
    + tuple(f"{t}_confidence" for t in TASKS)
    + ("needs_review", "status", "error", "bundle")
)


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
