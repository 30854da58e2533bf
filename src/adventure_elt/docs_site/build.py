"""Write the docs site into a folder, whole or not at all.

The pages are written into a new folder beside the target and swapped in at the end, so a
failed or interrupted build leaves the previous site as it was. A target that exists and holds
anything but an earlier site is refused, never emptied: `--out` may be a typo for a folder that
matters.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from adventure_elt.docs_site.facts import SiteFacts, collect_facts
from adventure_elt.docs_site.pages import GENERATOR, render_site
from adventure_elt.errors import ConfigError
from adventure_elt.progress import ProgressCallback, ProgressEvent, ignore
from adventure_elt.settings import Settings

MARKER = ".adventure-elt-docs"


def build_docs(
    settings: Settings,
    out: Path,
    sql_dir: Path | None = None,
    progress: ProgressCallback = ignore,
) -> tuple[Path, SiteFacts]:
    """Build the static docs site of the project into `out`.

    Args:
        settings: the warehouse to read types and check results from (read-only; the site
            builds without one).
        out: the site's folder; replaced when it holds an earlier site, created when missing.
        sql_dir: the `sql/` folder (default: the project's).
        progress: receives the tracing and writing steps.

    Returns:
        The path of `index.html` and the facts the site shows. ConfigError when `out` is a
        file or a folder with other content; ModelError when the project is broken.
    """
    out = Path(out).absolute()
    _check_target(out)
    facts = collect_facts(settings, sql_dir, progress)
    files = render_site(facts)
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}-", dir=out.parent))
    try:
        for i, (relative, text) in enumerate(sorted(files.items())):
            path = staging / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            if i % 100 == 0:
                progress(ProgressEvent("pages", done=i, total=len(files)))
        (staging / MARKER).write_text(f"written by {GENERATOR}\n", encoding="utf-8")
        _swap(staging, out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    progress(ProgressEvent("pages", done=len(files), total=len(files), finished=True))
    return out / "index.html", facts


def _check_target(out: Path) -> None:
    """Refuse an `--out` the swap would destroy or cannot create: only a new path, an empty
    folder or an earlier docs site is replaced (a device, a FIFO or a link would be renamed
    away and removed)."""
    if out.is_symlink():
        raise ConfigError(f"{out} is a symbolic link; give --out the folder itself")
    if out.exists() and not out.is_dir():
        what = "a file" if out.is_file() else "not a folder"
        raise ConfigError(f"{out} is {what}; give --out a folder for the docs site")
    if out.is_dir() and any(out.iterdir()) and not (out / MARKER).is_file():
        raise ConfigError(
            f"{out} is not empty and holds no earlier docs site; "
            "choose an empty or new folder with --out"
        )
    parent = out.absolute().parent
    while not parent.exists() and not parent.is_symlink():
        parent = parent.parent
    if not parent.is_dir():
        raise ConfigError(f"cannot create {out}: {parent} is not a folder; choose another --out")


def _swap(staging: Path, out: Path) -> None:
    """Put `staging` where `out` is: two renames, then the old site is removed."""
    if not out.exists():
        staging.rename(out)
        return
    old = Path(tempfile.mkdtemp(prefix=f".{out.name}-old-", dir=out.parent))
    old.rmdir()
    out.rename(old)
    staging.rename(out)
    shutil.rmtree(old, ignore_errors=True)
