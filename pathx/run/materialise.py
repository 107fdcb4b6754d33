"""The output file as a view of the ledger: rewritten whole and atomically (fsutil.atomic_write) by
the writer its suffix names (outputs.writer); and a new ledger rebuilt from an output's rows."""
from __future__ import annotations

from pathlib import Path

from pathx.fsutil import atomic_write
from pathx.outputs.writer import OutputWriter
from pathx.run.ledger import Ledger, Record
from pathx.run.signals import kill_point


def materialise(ledger: Ledger, output: Path, writer: OutputWriter) -> int:
    """Rewrite the output from the ledger, atomically; returns the number of rows."""
    generation = ledger.generation
    count = 0

    def write(fh):
        def rows():
            nonlocal count
            for i, row in enumerate(ledger.rows()):
                if i == 1:
                    fh.flush()  # the first row is on disk: a kill now leaves a half-written file
                    kill_point("rows")
                count += 1
                yield row

        writer.write_rows(fh, rows())

    atomic_write(output, write, before_rename=lambda: kill_point("rename"))
    ledger.mark_written(generation)
    return count


def rebuild_from_output(ledger: Ledger, output: Path, writer: OutputWriter) -> int:
    """Fill a new ledger with the rows the output file shows, marked to be processed again.

    Rows are recorded with no content hash and an empty version key, so every file still in
    the input is read again and its rows replaced; rows of files that are gone stay.
    """
    if not output.exists() or output.stat().st_size == 0:
        return 0
    by_file: dict[str, list[dict]] = {}
    for row in writer.read_rows(output.read_text(encoding="utf-8")):
        row = writer.restore(row)  # CSV holds strings: back to the row types
        by_file.setdefault(row["file"], []).append(row)
    records = [Record(f, None, "error" if any(r.get("status") == "error" for r in rows) else "ok", rows)
               for f, rows in by_file.items()]
    ledger.record(records, "", "rebuild")
    return sum(len(r.rows) for r in records)
