"""Whether an output folder is already what a build would make now, found without loading the site.

After a build, a snapshot in the cache records what the build was made from, by size, times and
inode: every file the site is read from (site.yaml, content/, products/ with the register and the
media, the site's own themes/), the generator's code and bundled themes, the versions of Python
and of the libraries, the git commit whose dates the pages show, and the build's options; and
the build's warnings. Beside it, each build that changes its output records the files it holds
and every folder by inode and modification time (`save_output_state`): a file or folder added or
deleted anywhere in the output changes the time of the folder it was in. A build that finds
both matching writes nothing and repeats the warnings; a build that runs finds the output's
files from that record instead of looking at all of them, while its folders are unchanged.

A snapshot is written only when no input changed while the build ran and none changed in the
two seconds before it started (a file changed again within the clock tick it was looked at can
keep its times: git's "racy" index has the same caution). A symbolic link among the inputs turns
snapshots off, since a change to what it points to would go unseen. The output's folders get no
such caution: a file deleted from the output within the clock tick of the build's last change
to that folder would go unseen (a few milliseconds on ext4; a second or two on FAT or HFS+).
A file of the output edited in place by hand goes unnoticed (a full rebuild, too, keeps the
files whose inputs did not change): delete .ocop-cache/ to make every file again.
"""
from __future__ import annotations

import contextlib
import hashlib
import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

from .. import BUNDLED_THEMES, CACHE, PACKAGE, SITE_FILES, SITE_FOLDERS
from ..errors import Problem
from .cache import VERSION, NotData, pack, read_values, unpack, write_values

# the libraries whose output ends up in the site's bytes (Pagefind's program: the plain or the
# extended build, which also splits Chinese words; or the one PAGEFIND_BINARY_PATH names)
LIBRARIES = ("pyyaml", "jinja2", "markupsafe", "cmarkgfm", "nh3", "babel", "qrcode", "pillow", "pagefind",
             "pagefind_bin", "pagefind_bin_extended", "cbor2")
RACY_NS = 2_000_000_000
STATE_VERSION = (VERSION, 1)


def library_versions() -> list[tuple[str, str]]:
    """Each library's version ("" if it is not installed), from the name of the first metadata
    folder of it on the path, as importlib.metadata finds it (whose import costs 30 ms a build);
    and the Pagefind program named instead by PAGEFIND_BINARY_PATH, if any, by its path, size and time."""
    found: dict[str, str] = {}
    for folder in sys.path:
        try:
            names = os.listdir(folder or ".")
        except OSError:
            continue
        for name in names:
            if name.endswith((".dist-info", ".egg-info")):
                project, _, version = name.rsplit(".", 1)[0].partition("-")
                found.setdefault(project.lower().replace("-", "_").replace(".", "_"), version)
    named = os.environ.get("PAGEFIND_BINARY_PATH")
    if named is not None:
        try:
            info = os.stat(named)
            named += f" {info.st_size} {info.st_mtime_ns}"
        except OSError:
            pass
    return [(name, found.get(name, "")) for name in LIBRARIES] + [("PAGEFIND_BINARY_PATH", named)]


class Snapshot:
    """What one build of `site_dir` into `output` is made from, looked at now."""

    def __init__(self, site_dir: Path, output: Path, options: tuple):
        self.site_dir, self.output, self.options = site_dir, output.absolute(), options
        self.cache = self.output.parent / CACHE
        self.path = self.cache / f"snapshot-{self.output.name}.data"
        self.started = time.time_ns()
        self.found: list[tuple] = []
        self.inputs, self.racy = self._look()

    @property
    def seen(self) -> dict[str, tuple] | None:
        """The stats of the site's files as first looked at, by their path in the site folder: a
        build's load_site takes them from here (none with a symbolic link among the inputs)."""
        return by_path(self.site_dir, self.found) if self.found else None

    def unchanged(self, folders: FolderCheck | None = None) -> list[Problem] | None:
        """The previous build's warnings when it was made from exactly these inputs and its
        output is still in place; None when a build has to run. `folders`: the output's folders
        compared with their record meanwhile (started before the site's files were looked at)."""
        if self.inputs is None:
            return None
        try:
            with self.path.open("rb") as f:
                (inputs, warnings), = read_values(f)
        except (OSError, NotData):
            return None
        if inputs != self.inputs:
            return None
        looked = folders.result()[0] if folders else None
        if folders and looked is None:      # a folder of the output is not as recorded
            return None
        return list(warnings) if output_unchanged(self.output, self.cache, looked) else None

    def forget(self) -> None:
        """Before a build changes the output: a build that dies halfway leaves no snapshot."""
        self.path.unlink(missing_ok=True)

    def save(self, warnings: list[Problem]) -> None:
        """After a build: the snapshot taken before it. (A file changed since has other stats, its
        ctime at least: the next build's snapshot differs, and that build runs.)"""
        if self.inputs is None or self.racy:
            return
        write_values(self.path, (self.inputs, warnings))

    def _look(self) -> tuple[str | None, bool]:
        """A digest of every input's size, times and inode (None with a symlink among them),
        and whether one changed too recently to be trusted."""
        found, linked = site_files(self.site_dir, PACKAGE, BUNDLED_THEMES)
        if linked:
            return None, False
        self.found = self.found or found
        racy = any(max(entry[2], entry[4]) > self.started - RACY_NS for entry in found if len(entry) > 2)
        head = git(self.site_dir, "rev-parse", "-q", "--verify", "HEAD") or ""
        extra = (str(self.site_dir.resolve()), str(self.output), self.options, sys.version, library_versions(), head,
                 VERSION)
        return hashlib.blake2b(pack((found, extra)), digest_size=16).hexdigest(), racy


def site_files(site_dir: Path, *more: Path) -> tuple[list[tuple], bool]:
    """(path, size, mtime, inode, ctime, whether it is a regular file) of every file a build of
    the site reads, and of the files under `more`, sorted; and whether a symbolic link is among
    them (its target's times are given, but a change further along the link would go unseen)."""
    found: list[tuple] = []
    linked = False
    for root in (*(site_dir / name for name in SITE_FILES + SITE_FOLDERS), *more):
        linked |= _walk(root, found)
    found.sort()
    return found, linked


def by_path(site_dir: Path, found: list[tuple]) -> dict[str, tuple]:
    """site_files()'s stats by each file's path in the site folder, as load_site takes them."""
    root = str(site_dir / "_")[:-1]        # "" for ".", else the folder and a slash
    return {entry[0][len(root):]: entry[1:] for entry in found if len(entry) > 2 and entry[0].startswith(root)}


def _walk(path: Path, found: list[tuple]) -> bool:
    """Adds the files under `path` (or `path`, a file); True when one is a symbolic link."""
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        found.append((str(path), None))
        return False
    if not stat.S_ISDIR(info.st_mode):
        return _add(str(path), stat.S_ISLNK(info.st_mode), found)
    linked = False
    with os.scandir(path) as entries:
        for entry in entries:
            if entry.is_dir(follow_symlinks=False):
                if entry.name != "__pycache__":
                    linked |= _walk(Path(entry.path), found)
            else:
                linked |= _add(entry.path, entry.is_symlink(), found)
    return linked


def _add(path: str, link: bool, found: list[tuple]) -> bool:
    try:
        s = os.stat(path)
    except OSError:                     # a link that leads nowhere
        found.append((path, None))
        return link
    found.append((path, *file_stats(s)))
    return link


def file_stats(s: os.stat_result) -> tuple[int, int, int, int, bool]:
    """What stands for a file's content between builds: size, mtime, inode, ctime, and whether it
    is a regular file (the snapshot's entries, and load.py's stamps, which may take them from it)."""
    return s.st_size, s.st_mtime_ns, s.st_ino, s.st_ctime_ns, stat.S_ISREG(s.st_mode)


def git(root: Path, *args: str) -> str | None:
    """What a git command prints in the site's folder; None if it fails (no git, not a checkout)."""
    try:
        run = subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True, timeout=120)
    except (OSError, subprocess.SubprocessError):
        return None
    return run.stdout.strip() if run.returncode == 0 else None


def state_path(output: Path, cache: Path) -> Path:
    return cache / f"output-{output.absolute().name}.data"


def save_output_state(output: Path, cache: Path, files: set[str], known: dict[str, tuple] | None = None,
                      changed: set[str] = frozenset()) -> None:
    """After a build has changed its output: the files it holds, and each of its folders by inode
    and modification time (a file or folder added or deleted anywhere in the output changes the
    time of the folder it was in). `known`: the folders' stats as this build found them, still
    true of every folder but those `changed` files were moved into or deleted from (and their
    parents), which alone are looked at again."""
    root = str(output.absolute())
    look: set[str] = set()
    for rel in files if known is None else changed:
        add_folders(look, rel)
    known = dict(known or {})
    for folder, ino, mtime in _folder_stats(root, look):
        if ino is None:                     # emptied by the build, and removed
            known.pop(folder, None)
        else:
            known[folder] = (ino, mtime)
    write_values(state_path(output, cache), (STATE_VERSION, root, [(folder, *stat) for folder, stat in known.items()]),
                 list(files))


def add_folders(folders: set[str], rel: str) -> None:
    """Adds the folders a file of the output is in, up to the output's own ("")."""
    folder = rel.rpartition("/")[0]
    while folder not in folders:
        folders.add(folder)
        if not folder:
            break
        folder = folder.rpartition("/")[0]


def forget_output_state(output: Path, cache: Path) -> None:
    """Before a build changes its output."""
    state_path(output, cache).unlink(missing_ok=True)


def output_unchanged(output: Path, cache: Path, looked: tuple[int, int] | None = None) -> bool:
    """Whether no folder of the output changed since the last build recorded it (`looked`: as
    output_files)."""
    return _output_state(output, cache, with_files=False, looked=looked) is not None


def output_files(output: Path, cache: Path, looked: tuple[int, int] | None = None
                 ) -> tuple[list[str], dict[str, tuple]] | None:
    """The files of the output as the last build left them and its folders' stats, when no
    folder of it has changed since (else None: the output has to be looked at). `looked`: the
    record FolderCheck found every folder as it says, by (inode, time): not looked at again."""
    return _output_state(output, cache, with_files=True, looked=looked)


def _output_state(output: Path, cache: Path, with_files: bool, looked: tuple[int, int] | None = None):
    try:
        with state_path(output, cache).open("rb") as f:
            found = read_values(f, 2 if with_files else 1)
            info = os.fstat(f.fileno())
            if (info.st_ino, info.st_mtime_ns) != looked and not _folders_as_recorded(output, found[0]):
                return None
            stats = found[0][2]
            return (list(found[1]), {folder: (ino, mtime) for folder, ino, mtime in stats}) if with_files else []
    except (OSError, NotData, ValueError, TypeError):
        return None


def _folders_as_recorded(output: Path, record: tuple) -> bool:
    version, root, stats = record
    return (version == STATE_VERSION and root == str(output.absolute())
            and tuple(_folder_stats(root, [folder for folder, _, _ in stats])) == stats)


class FolderCheck:
    """The output's folders compared with the record of the last build by a child process, while
    this one reads and checks the site (63,000 folders at 20,000 products: 0.15 s); when they
    differ from it (as after a fresh checkout that restores the output from a CI cache), the child
    looks at the whole output instead (163,000 files: 0.5 s). `result()`: the record's (inode,
    time) when every folder was as it says, else None; and the output's files and folders' stats
    (files_under) when the child looked at them, else None. A build that changes the output
    replaces its record first: the answer holds for that one file only."""

    def __init__(self, output: Path, cache: Path):
        self.pid: int | None = None
        self.found = None, None
        path = state_path(output, cache)
        if not path.is_file():
            return
        try:
            pipe, answer = os.pipe()
            pid = os.fork()
        except OSError:
            return
        if pid == 0:                # the child looks, answers and leaves, running nothing of the parent's
            found = None
            try:
                with path.open("rb") as f:
                    info = os.fstat(f.fileno())
                    if _folders_as_recorded(output, read_values(f)[0]):
                        found = (info.st_ino, info.st_mtime_ns), None
                    elif output.is_dir():
                        folders: dict[str, tuple[int, int]] = {}
                        found = None, (files_under(output, folders), folders)
            finally:
                with contextlib.suppress(OSError), open(answer, "wb") as f:     # (the parent may have gone on)
                    f.write(pack(found))
                os._exit(0)
        os.close(answer)
        self.pid, self.pipe = pid, pipe

    def result(self) -> tuple[tuple[int, int] | None, tuple[list[str], dict[str, tuple[int, int]]] | None]:
        """The child's answer (the same each time it is asked)."""
        if self.pid is None:
            return self.found
        try:
            with open(self.pipe, "rb", closefd=False) as f:
                self.found = unpack(f.read()) or self.found       # (from the child: as it read from the cache)
        except (OSError, NotData):
            pass
        finally:
            self.close()
        return self.found

    def close(self) -> None:
        """Stops the child, if it is still looking (a build that failed before it asked)."""
        if self.pid is not None:
            os.close(self.pipe)
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGKILL)
            os.waitpid(self.pid, 0)
            self.pid = None


def files_under(root: Path, folders: dict[str, tuple[int, int]] | None = None) -> list[str]:
    """Every file below `root`, as paths relative to it (symbolic links count as files). With
    `folders`, each folder's inode and modification time go into it, by its path ("" for `root`),
    as save_output_state records them (taken before the folder is listed)."""
    found: list[str] = []
    todo = [(str(root), "")]
    while todo:
        path, prefix = todo.pop()
        if folders is not None:
            info = os.stat(path)
            folders[prefix[:-1]] = (info.st_ino, info.st_mtime_ns)
        with os.scandir(path) as entries:
            for entry in entries:
                if entry.is_dir(follow_symlinks=False):
                    todo.append((entry.path, f"{prefix}{entry.name}/"))
                else:
                    found.append(prefix + entry.name)
    return found


def _folder_stats(root: str, folders):
    """(folder, inode, modification time) of folders of `root`, looked up from it, not from /;
    (folder, None, None) for one that is not there."""
    fd = os.open(root, os.O_RDONLY)
    try:
        for folder in folders:
            try:
                info = os.stat(folder or ".", dir_fd=fd, follow_symlinks=False)
            except FileNotFoundError:
                yield folder, None, None
                continue
            yield folder, info.st_ino, info.st_mtime_ns
    finally:
        os.close(fd)
