"""The shipped sample reference files: real layouts, every area covered, labelled, reproducible."""

from __future__ import annotations

from pathlib import Path

from pm_pipeline.defs.district.reference import read_reference_dir
from pm_pipeline.sample import catalogue
from pm_pipeline.sample.reference import write_sample


def test_sample_files_parse_cover_every_area_and_say_sample(data_dir: Path) -> None:
    written = write_sample(data_dir)
    data_files = [p for p in written if p.suffix in (".csv", ".xlsx")]
    assert data_files and all("sample" in p.name for p in data_files)
    assert "SAMPLE" in (data_dir / "reference" / "README.md").read_text()
    read = read_reference_dir(data_dir / "reference")
    assert {f.path for f in read.files} == {
        p.relative_to(data_dir / "reference").as_posix() for p in data_files
    }
    districts = {catalogue.AREA_CODE, *(code for code, _ in catalogue.COMPARATORS)}
    for dataset, rows in read.context.groupby("dataset"):
        codes = set(rows["area_code"])
        assert districts <= codes, dataset
        if dataset != "IoD":  # the Indices are published for districts only
            assert {"E12000004", "E92000001"} <= codes, dataset
    assert set(read.lsoas["edition"]) == {"IoD2019", "IoD2025"}


def test_sample_generator_is_deterministic(tmp_path: Path) -> None:
    first = write_sample(tmp_path / "one")
    second = write_sample(tmp_path / "two")
    for a, b in zip(first, second, strict=True):
        if a.suffix == ".csv":
            assert a.read_bytes() == b.read_bytes(), a.name
    one = read_reference_dir(tmp_path / "one" / "reference").context
    two = read_reference_dir(tmp_path / "two" / "reference").context
    assert one.equals(two)
