"""Output writers registered by suffix (pathx.outputs.writer): lookup, compound suffixes, the usage
error that names the suffixes, and each shipped writer reading back what it wrote."""
from __future__ import annotations

import io

import pytest

from pathx import schema
from pathx.outputs import writer as registry
from pathx.outputs.rows import FieldPrediction, error_row, prediction_row


def test_shipped_suffixes_and_lookup():
    assert registry.suffixes() == (".csv", ".jsonl", ".fhir.json", ".naaccr.xml")
    assert registry.writer_for("out.csv").name == "csv"
    assert registry.writer_for("/data/Out.JSONL").name == "jsonl"  # case does not matter
    assert registry.writer_for("night.2026-11-29.csv").name == "csv"
    assert registry.writer_for("out.fhir.json").name == "fhir"
    assert registry.writer_for("Registry.NAACCR.XML").name == "naaccr"
    for bad in ("out.xlsx", "out.json", ".csv", "out", "out.xml", "fhir.json", ".naaccr.xml"):
        with pytest.raises(registry.UnknownSuffix, match=r"must end in \.csv, \.jsonl, \.fhir\.json or \.naaccr\.xml"):
            registry.writer_for(bad)


def test_a_compound_suffix_wins_over_the_shorter_one_it_ends_with(monkeypatch):
    monkeypatch.setattr(registry, "WRITERS", dict(registry._load()))

    @registry.register
    class Json(registry.OutputWriter):
        suffix, name, help = ".json", "json", "a JSON array"

    @registry.register
    class Geo(registry.OutputWriter):  # registered after .json on purpose
        suffix, name, help = ".geo.json", "geo", "GeoJSON features"

    assert registry.writer_for("out.geo.json").name == "geo"
    assert registry.writer_for("out.fhir.json").name == "fhir"
    assert registry.writer_for("out.json").name == "json"
    assert registry.writer_for("geo.json").name == "json"  # a stem called geo is no compound suffix
    assert registry.suffix_list() == ".csv, .jsonl, .fhir.json, .naaccr.xml, .json or .geo.json"
    assert ".geo.json (GeoJSON features)" in registry.suffix_help()
    with pytest.raises(ValueError, match="taken"):
        registry.register(Json)


def _rows():
    preds = {t: FieldPrediction(label=None) for t in schema.TASKS}
    preds["t_stage"] = FieldPrediction(label="T2", confidence=0.91234, evidence="pT2")
    return [prediction_row("=cmd.txt", "left", preds, "rules-1"), error_row("b.pdf", "b.pdf: empty\nfile", "rules-1")]


@pytest.mark.parametrize("suffix", [".csv", ".jsonl"])
def test_each_writer_reads_back_what_it_wrote(suffix):
    writer = registry.writer_for("out" + suffix)
    fh = io.StringIO()
    assert writer.write_rows(fh, _rows()) == 2
    back = [writer.restore(r) for r in writer.read_rows(fh.getvalue())]
    for got, want in zip(back, _rows()):
        assert {c: got[c] for c in schema.OUTPUT_COLUMNS} == {c: want[c] for c in schema.OUTPUT_COLUMNS}
    if suffix == ".csv":
        assert fh.getvalue().splitlines()[0] == ",".join(schema.OUTPUT_COLUMNS)
        assert "'=cmd.txt" in fh.getvalue()  # no formula in a spreadsheet
    else:
        assert back[0]["evidence"]["t_stage"] == "pT2"
