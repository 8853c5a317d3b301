"""Reads a site folder: YAML and Markdown files into raw records that keep their line marks.

The only module that reads content. It checks what can be checked without knowing the
schema (encoding, size, YAML syntax, anchors, duplicate keys, nesting) and leaves the rest
to validate/. All limits on untrusted input live at the top of this file.
"""
from __future__ import annotations

import difflib
import fnmatch
import hashlib
import os
import re
import stat
import unicodedata
import time
import warnings
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import yaml
from PIL import Image

from ..errors import N_, Problem, tr
from ..output.cache import Memo, read_versioned, write_versioned
from ..output.fresh import RACY_NS, file_stats, git

MAX_TEXT_BYTES = 1024 * 1024          # one YAML or Markdown file
MAX_YAML_DEPTH = 32                   # nesting of mappings and lists
MAX_MEDIA_BYTES = 20 * 1024 * 1024    # one photo or decision scan
MAX_IMAGE_PIXELS = 40_000_000         # width × height of one photo
# characters no page can show: those below a space but tab and line breaks, DEL, and C1 controls
CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffe\uffff]")      # (and two that XML refuses)
# looked for in a file's bytes first, where it costs a tenth of a search of its text
_NOT_CONTROL = b"\t\n\r" + bytes(range(0x20, 0x7f)) + bytes(range(0x80, 0x100))
_C1 = re.compile(rb"\xc2[\x80-\x9f]")         # U+0080 to U+009F in UTF-8
_CONTROL_NAMES = {"\x00": N_("a NUL character"), "\x08": N_("a backspace"), "\x0b": N_("a vertical tab"),
                  "\x0c": N_("a form feed"), "\x1b": N_("an escape character"), "\x85": N_("a next-line character"),
                  "\ufffe": N_("a noncharacter"), "\uffff": N_("a noncharacter")}
# explicit directional formatting: embeddings and overrides (closed by U+202C), isolates (U+2069)
DIRECTIONAL = re.compile("[\u202a-\u202e\u2066-\u2069]")
OVERRIDE = re.compile("[\u202d\u202e]")           # refused wherever they are, closed or not
_DIRECTIONAL = re.compile(rb"\xe2(?:\x80[\xaa-\xae]|\x81[\xa6-\xa9])")        # the same, in UTF-8
_OPENERS = {"\u202a": N_("a left-to-right embedding"), "\u202b": N_("a right-to-left embedding"),
            "\u202d": N_("a left-to-right override"), "\u202e": N_("a right-to-left override"),
            "\u2066": N_("a left-to-right isolate"), "\u2067": N_("a right-to-left isolate"), "\u2068": N_("a first-strong isolate")}
# what PyYAML says of the commonest slips, to be said in the tool's language (the rest as PyYAML says it)
_YAML_WORDS = {N_("mapping values are not allowed here"), N_("could not find expected ':'"),
               N_("while scanning a simple key"), N_("while parsing a block mapping"),
               N_("while parsing a block collection"), N_("while scanning a quoted scalar"),
               N_("found unexpected end of stream"), N_("did not find expected key"),
               N_("did not find expected '-' indicator"), N_("while parsing a flow mapping"),
               N_("while parsing a flow sequence"), N_("while scanning a plain scalar"),
               N_("found unexpected ':'"), N_("while scanning an alias"), N_("while scanning an anchor")}
_EXPECTED = re.compile(r"expected (.+), but (?:found|got) (.+)\Z")
IMAGE_FORMATS = {"JPEG", "PNG", "WEBP"}
REGISTER = "products/issued.txt"      # every product id whose verification URL was ever published
Image.MAX_IMAGE_PIXELS = MAX_IMAGE_PIXELS


class Map(dict):
    """A YAML mapping: its keys are the source text of the keys; it remembers where each
    key and value stood, and the source text of each scalar value."""

    mark: tuple[int, int] = (0, 0)

    def __init__(self, mark: tuple[int, int]):
        super().__init__()
        self.mark = mark
        self.key_marks: dict[str, tuple[int, int]] = {}
        self.value_marks: dict[str, tuple[int, int]] = {}
        self.raw: dict[str, str] = {}


class Seq(list):
    """A YAML sequence that remembers where each item stood."""

    def __init__(self, mark: tuple[int, int]):
        super().__init__()
        self.mark = mark
        self.item_marks: list[tuple[int, int]] = []
        self.raw: list[str | None] = []


@dataclass
class Source:
    """One file of the site: its path relative to the site folder and what it holds."""

    path: str
    data: Any = None
    body: str = ""            # Markdown files: the text after the front matter
    digest: str = ""          # YAML files: a hash of the path and the text (text_key, file_key); "": unreadable
    content: bytes | None = None    # product and decision files: the bytes, parsed when needed (parse_later)
    root: Path | None = None  # such files not read, their digest known by their times: read when needed


@dataclass(frozen=True)
class Media:
    """What the build needs to know of a file under products/media, read from its header."""

    size: int
    digest: str = ""                   # sha256 of the bytes: names the published copy
    format: str | None = None          # JPEG, PNG, WEBP; None for anything else (a PDF scan)
    width: int = 0
    height: int = 0
    error: str = ""


@dataclass
class RawSite:
    root: Path
    site: Source | None = None
    products: list[Source] = field(default_factory=list)
    decisions: list[Source] = field(default_factory=list)
    communes: Source | None = None
    showrooms: Source | None = None
    retired: Source | None = None
    register: list[tuple[int, str]] = field(default_factory=list)   # (line, product id) of products/issued.txt
    pages: list[Source] = field(default_factory=list)
    news: list[Source] = field(default_factory=list)
    media: dict[str, Media] = field(default_factory=dict)     # path relative to products/
    codes: dict[str, str] = field(default_factory=dict)       # products/codes/ID.txt → its text (codes.py)
    parsed_decisions: "Parsed | None" = None      # the decisions' YAML parsed by earlier builds
    updated: dict[str, date] = field(default_factory=dict)    # path → date of the last commit touching it
    problems: list[Problem] = field(default_factory=list)

    def place(self, rel: str, key: str, item: int | None = None) -> tuple[int, int]:
        """Where a file sets `key` (or the `item`th entry of its list), read again: for a problem
        found once its record was checked, or taken from the cache without its marks (validation
        reads no file itself)."""
        data, _ = parse_yaml(read_text(self.root, rel)[0] or "", rel)
        value = data.get(key) if isinstance(data, Map) else None
        if item is not None:
            return value.item_marks[item] if isinstance(value, Seq) and item < len(value.item_marks) else (1, 1)
        return data.value_marks.get(key, (1, 1)) if isinstance(data, Map) else (1, 1)


class _YamlProblem(Exception):
    def __init__(self, mark, message: str):
        super().__init__(message)
        self.mark, self.message = mark, message


class _Loader(yaml.SafeLoader):
    """Composes a node tree; refuses anchors, aliases and deep nesting before they cost anything."""

    depth = 0

    def compose_node(self, parent, index):
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
            raise _YamlProblem(event.start_mark, tr("anchors and aliases (& and *) are not allowed; write the "
                                                    "value out in full"))
        self.depth += 1
        if self.depth > MAX_YAML_DEPTH:
            raise _YamlProblem(event.start_mark, tr("nested more than {max_yaml_depth} levels deep; a site file "
                                                    "needs only a few levels", max_yaml_depth=MAX_YAML_DEPTH))
        try:
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1


_SCALARS = {
    "tag:yaml.org,2002:str": yaml.SafeLoader.construct_scalar,
    "tag:yaml.org,2002:int": yaml.SafeLoader.construct_yaml_int,
    "tag:yaml.org,2002:float": yaml.SafeLoader.construct_yaml_float,
    "tag:yaml.org,2002:bool": yaml.SafeLoader.construct_yaml_bool,
    "tag:yaml.org,2002:null": yaml.SafeLoader.construct_yaml_null,
    "tag:yaml.org,2002:timestamp": yaml.SafeLoader.construct_yaml_timestamp,
}
_CONSTRUCTOR = yaml.SafeLoader("")


def _at(mark, offset: int) -> tuple[int, int]:
    return (mark.line + 1 + offset, mark.column + 1)


def _convert(node, offset: int, problems: list[Problem], path: str, seen: set[int], depth: int = 0):
    if id(node) in seen:        # a node reached twice is an alias: refused before it can multiply
        raise _YamlProblem(node.start_mark, tr("anchors and aliases (& and *) are not allowed; write the value "
                                               "out in full"))
    if depth > MAX_YAML_DEPTH:
        raise _YamlProblem(node.start_mark, tr("nested more than {max_yaml_depth} levels deep; a site file "
                                               "needs only a few levels", max_yaml_depth=MAX_YAML_DEPTH))
    seen.add(id(node))
    if isinstance(node, yaml.ScalarNode):
        if node.style == '"':           # escapes ("\\e", "\\u202e") write what the file's text does not hold
            if found := CONTROL.search(node.value):
                problems.append(Problem(path, *_at(node.start_mark, offset), tr("{control} is written into this quoted "
                                                                                "value, where no page can show it; "
                                                                                "delete it",
                                                                                control=_control(found.group()))))
            if found := OVERRIDE.search(node.value):
                problems.append(Problem(path, *_at(node.start_mark, offset), tr("{value} (U+{ord:04X}) is written into "
                                                                                "this quoted value: it makes what "
                                                                                "follows read in another order than it "
                                                                                "is stored; delete it",
                                                                                value=tr(_OPENERS[found.group()]), ord=ord(found.group()))))
        if DIRECTIONAL.search(node.value) and (opener := left_open(node.value)[1]) and opener not in "\u202d\u202e":
            problems.append(Problem(path, *_at(node.start_mark, offset), unclosed_message(opener, tr("within this value"))))
        make = _SCALARS.get(node.tag)
        if make is None:
            raise _YamlProblem(node.start_mark, tr("the tag {node_tag} is not supported; write a plain value",
                                                   node_tag=node.tag))
        try:
            return make(_CONSTRUCTOR, node)
        except (ValueError, yaml.YAMLError):      # e.g. a date like 2025-02-30
            return node.value
    if isinstance(node, yaml.SequenceNode):
        seq = Seq(_at(node.start_mark, offset))
        for item in node.value:
            seq.append(_convert(item, offset, problems, path, seen, depth + 1))
            seq.item_marks.append(_at(item.start_mark, offset))
            seq.raw.append(item.value if isinstance(item, yaml.ScalarNode) else None)
        return seq
    if isinstance(node, yaml.MappingNode):
        mapping = Map(_at(node.start_mark, offset))
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                raise _YamlProblem(key_node.start_mark, tr("a key must be a plain word, not a list or mapping"))
            key = key_node.value
            line, col = _at(key_node.start_mark, offset)
            if key in mapping:
                first = mapping.key_marks[key][0]
                problems.append(Problem(path, line, col, tr("duplicate key '{key}' (first at line {first}); "
                                                            "keep only one", key=key, first=first)))
                continue
            mapping[key] = _convert(value_node, offset, problems, path, seen, depth + 1)
            mapping.key_marks[key] = (line, col)
            mapping.value_marks[key] = _at(value_node.start_mark, offset)
            if isinstance(value_node, yaml.ScalarNode):
                mapping.raw[key] = value_node.value
        return mapping
    raise _YamlProblem(node.start_mark, tr("unexpected YAML node"))


def _compose(text: str):
    """The node tree of one YAML document, by libyaml where PyYAML has it (several times faster)."""
    if getattr(yaml, "__with_libyaml__", False):
        return yaml.compose(text, Loader=yaml.CSafeLoader)
    loader = _Loader(text)
    try:
        return loader.get_single_node()
    finally:
        loader.dispose()


def _char_at(text: str, line: int, column: int) -> str:
    """The character at a YAML mark (its line breaks: \\n, \\r\\n, \\r, NEL, LS, PS), or ""."""
    lines = re.split("\r\n|[\r\n\x85\u2028\u2029]", text, maxsplit=line + 1)
    return lines[line][column:column + 1] if line < len(lines) else ""


def parse_yaml(text: str, path: str, offset: int = 0) -> tuple[Any, list[Problem]]:
    """YAML text → plain values (Map, Seq, scalars) with marks, and the problems found.
    `offset` is the number of lines before the text in its file (front matter)."""
    problems: list[Problem] = []
    try:
        node = _compose(text)
        if node is None:
            return None, problems
        return _convert(node, offset, problems, path, set()), problems
    except _YamlProblem as e:
        line, col = _at(e.mark, offset)
        return None, problems + [Problem(path, line, col, e.message)]
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        line, col = _at(mark, offset) if mark else (1 + offset, 1)
        what = " ".join(_yaml_words(x) for x in (e.context, e.problem) if x)
        if "maximum nesting depth" in what:
            return None, problems + [Problem(path, line, col, tr("nested more than {max_yaml_depth} levels "
                                                                 "deep; a site file needs only a few levels",
                                                                 max_yaml_depth=MAX_YAML_DEPTH))]
        if mark and _char_at(text, mark.line, mark.column) == "\t":
            return None, problems + [Problem(path, line, col, tr("a tab character where YAML expects spaces; "
                                                                 "indent with spaces only (most editors can "
                                                                 "turn tabs into spaces)"))]
        return None, problems + [Problem(path, line, col, tr("invalid YAML: {what}; check the indentation and "
                                                             "quote values that contain ': ' or start with a "
                                                             "symbol", what=what))]
    except yaml.YAMLError as e:
        return None, problems + [Problem(path, 1 + offset, 1, tr("invalid YAML: {e}", e=e))]


def _yaml_words(said: str) -> str:
    if said in _YAML_WORDS:
        return tr(said)
    if found := _EXPECTED.match(said):
        return tr("expected {expected}, but found {found}", expected=found[1], found=found[2])
    return said


def text_key(text: str, path: str, offset: int = 0) -> str:
    """A hash of a file's path and text (of its front matter, `offset` lines down)."""
    return hashlib.blake2b(f"{path}\0{offset}\0{text}".encode(), digest_size=16).hexdigest()


def file_key(data: bytes, path: str) -> str:
    """A hash of a file's path and bytes, as read: a file read to be hashed, not parsed, is not
    decoded (20,000 product files after a fresh checkout: 0.2 s)."""
    return hashlib.blake2b(b"%s\0%s" % (path.encode(), data), digest_size=16).hexdigest()


class Parsed(Memo):
    """YAML already parsed (a file is still read to be hashed)."""

    def __init__(self, path: Path | None = None, keep: bool = True):
        super().__init__(path, (1, yaml.__version__), keep=keep)

    def __call__(self, text: str, path: str, offset: int = 0) -> tuple[Any, list[Problem], str]:
        """What parse_yaml gives, and text_key()."""
        key = text_key(text, path, offset)
        data, problems = self.get(key, lambda: parse_yaml(text, path, offset))
        return data, list(problems), key        # (a tuple, as the cache gives it back)


def read_text(root: Path, rel: str) -> tuple[str | None, list[Problem]]:
    """A UTF-8 text file of the site, or a problem saying why it cannot be read."""
    data, found = read_bytes(root, rel)
    return decode(data, rel) if data is not None else (None, found)


def leads_away(root: Path, path: Path, thing: str = "") -> str:
    """Why a file of the site (or a folder it is in) must not be read or published: a symbolic
    link somewhere on its way that leads out of the site folder, or into .git or another hidden
    folder (a CI checkout keeps its token in .git/config); "" when it may. `thing`: what to copy
    instead (the file, the folder, the theme)."""
    real, base = path.resolve(), root.resolve()
    if not real.is_relative_to(base):
        return tr("is a symbolic link (or in a linked folder) that leads outside the site; copy {thing} into "
                  "the site instead", thing=thing or tr("the file"))
    if any(part.startswith(".") for part in real.relative_to(base).parts):
        return tr("is a symbolic link to {value}, in a hidden folder; nothing there is published",
                  value=real.relative_to(base).as_posix())
    return ""


def read_bytes(root: Path, rel: str) -> tuple[bytes | None, list[Problem]]:
    """A file of the site, or a problem saying why it cannot be read. (Paths as strings: after a
    fresh checkout 20,000 product files are read, and Path objects cost 0.15 s.)"""
    path = f"{root}/{rel}"
    try:
        info = os.lstat(path)
        if stat.S_ISLNK(info.st_mode):
            if why := leads_away(root, Path(path)):
                return None, [Problem(rel, 1, 1, why)]
            info = os.stat(path)
        if not stat.S_ISREG(info.st_mode):      # a pipe would never end
            return None, [Problem(rel, 1, 1, tr("is not a regular file; replace it with a text file"))]
        size = info.st_size
        if size > MAX_TEXT_BYTES:
            return None, [Problem(rel, 1, 1, tr("file is {size:,} bytes, over the limit of {max_text_bytes:,}; "
                                                "split it or shorten it", size=size, max_text_bytes=MAX_TEXT_BYTES))]
        with open(path, "rb") as f:
            return f.read(), []
    except OSError as e:
        return None, [Problem(rel, 1, 1, tr("cannot be read: {strerror}", strerror=e.strerror))]


def decode(data: bytes, rel: str) -> tuple[str | None, list[Problem]]:
    """The text of a file's bytes, or the problems where they are not UTF-8 or hold control characters."""
    try:
        text = data.decode("utf-8-sig").replace("\r\n", "\n")
        if not text.isascii() and not unicodedata.is_normalized("NFC", text):
            text = unicodedata.normalize("NFC", text)       # ề typed as e + two accents reads as ề: one text
    except UnicodeDecodeError as e:
        line = data[:e.start].count(b"\n") + 1
        col = e.start - (data.rfind(b"\n", 0, e.start) + 1) + 1
        return None, [Problem(rel, line, col, tr("the file is not UTF-8 text; save it with UTF-8 encoding"))]
    if (data.translate(None, _NOT_CONTROL) or b"\xc2" in data and _C1.search(data)
            or b"\xef\xbf\xbe" in data or b"\xef\xbf\xbf" in data):
        return None, [Problem(rel, text.count("\n", 0, at.start()) + 1, at.start() - text.rfind("\n", 0, at.start()),
                              tr("{control} is in the text, where no page can show it and few editors display "
                                 "it; delete it (it comes with text pasted from some programs)",
                                 control=_control(at.group())))
                      for at in CONTROL.finditer(text)][:20]
    if _DIRECTIONAL.search(data) is None:
        return text, []
    lines = text.split("\n")
    problems = [Problem(rel, n, at.start() + 1, tr("{value} (U+{ord:04X}) is in the text: it makes what follows "
                                                   "read in another order than it is stored, which no product "
                                                   "text needs; delete it",
                                                   value=tr(_OPENERS[at.group()]), ord=ord(at.group()))) for n, line in enumerate(lines, 1) for at in OVERRIDE.finditer(line)]
    problems += [Problem(rel, n, at + 1, unclosed_message(opener)) for n, line in enumerate(lines, 1)
                 for at, opener in [left_open(line)] if opener and opener not in "\u202d\u202e"]
    return (None if problems else text), sorted(problems)[:20]


def left_open(text: str) -> tuple[int, str]:
    """The first directional embedding, override or isolate the text opens and does not close,
    and where (its index); (0, "") if none. One left open reorders what follows it on a page, as
    far as the end of the paragraph, even text that is not this text's (Unicode's bidirectional
    algorithm; "Trojan Source")."""
    opened: list[tuple[int, str]] = []
    for at in DIRECTIONAL.finditer(text):
        char = at.group()
        if char in _OPENERS:
            opened.append((at.start(), char))
        elif char == "\u202c":          # closes the last embedding or override, not past an isolate
            if opened and opened[-1][1] < "\u2066":
                opened.pop()
        elif any(c >= "\u2066" for _, c in opened):        # U+2069 closes the last isolate, and all within it
            while opened.pop()[1] < "\u2066":
                pass
    return opened[0] if opened else (0, "")


def unclosed_message(opener: str, where: str = "") -> str:
    where = where or tr("on the same line")
    closer = tr("U+2069 (pop directional isolate)") if opener >= "\u2066" else tr("U+202C (pop directional formatting)")
    return (tr("{value} (U+{ord:04X}) is left open here: on a page it would reorder the text after it, even "
               "outside this value; close it with {closer} {where}, or delete it",
               value=tr(_OPENERS[opener]), ord=ord(opener), closer=closer, where=where))


def _control(char: str) -> str:
    return tr("{name} (U+{code:04X})", name=tr(_CONTROL_NAMES.get(char, N_("a control character"))), code=ord(char))


def _load_yaml_file(root: Path, rel: str, problems: list[Problem], parse: Parsed) -> Source:
    text, found = read_text(root, rel)
    problems += found
    source = Source(rel)
    if text is not None:
        source.data, found, source.digest = parse(text, rel)
        problems += found + _empty(source, found)
    return source


def _read_later(root: Path, rel: str, problems: list[Problem], known: Memo, seen: dict[str, tuple] | None) -> Source:
    """A product or decision file, read but not parsed: validate/ parses it only when what it
    checked before is not kept (by file_key and what the check refers to). `known` keeps each
    file's file_key by its size, times and inode: an unchanged file is not even read. `seen`:
    load_site's."""
    stamp = _stamp(f"{root}/{rel}", rel, MAX_TEXT_BYTES, seen)     # (a str: 20,000 Paths cost 0.1 s)
    if stamp in known.old:
        return Source(rel, digest=known.get(stamp, lambda: None), root=root)
    data, found = read_bytes(root, rel)
    problems += found
    if data is None:
        return Source(rel)
    source = Source(rel, digest=file_key(data, rel), content=data)
    if stamp:
        known.get(stamp, lambda: source.digest)
    return source


def parse_later(source: Source, parse: Parsed | None = None) -> list[Problem]:
    """Parses a file read by _read_later into `source.data` (reading it first if it was not), by
    `parse` if given; returns the problems found."""
    data = source.content
    if data is None:
        data, found = read_bytes(source.root, source.path)
        if data is None:
            return found
        if file_key(data, source.path) != source.digest:
            return [Problem(source.path, 1, 1, tr("the file changed while the build was reading the site; build "
                                                  "again"))]
    text, found = decode(data, source.path)
    if text is None:
        return found
    source.data, found = parse(text, source.path)[:2] if parse else parse_yaml(text, source.path)
    return found + _empty(source, found)


def _stamp(path: str | Path, rel: str, limit: int, seen: dict[str, tuple] | None = None) -> tuple | None:
    """A file's size, times and inode, which stand for its content between builds; None for a
    symbolic link, a file over `limit` bytes, or one changed in the last seconds (it may change
    again within the same clock tick and keep its times: fresh.py). `seen`: load_site's."""
    found = seen.get(rel) if seen else None
    if found is None:
        try:
            info = os.lstat(path)
        except OSError:
            return None
        found = file_stats(info)
    size, mtime, inode, ctime, regular = found
    if not regular or size > limit or time.time_ns() - max(mtime, ctime) <= RACY_NS:
        return None
    return rel, size, mtime, inode, ctime


def _empty(source: Source, found: list[Problem]) -> list[Problem]:
    if source.data is None and not found:
        return [Problem(source.path, 1, 1, tr("the file is empty; it must hold the record's fields"))]
    return []


def _load_markdown(root: Path, rel: str, problems: list[Problem], parse: Parsed) -> Source:
    text, found = read_text(root, rel)
    problems += found
    source = Source(rel)
    if text is None:
        return source
    lines = text.split("\n")
    if not lines or lines[0].rstrip() != "---":
        problems.append(Problem(rel, 1, 1, tr("must start with front matter: a line '---', then 'title: …', "
                                              "then a line '---'")))
        return source
    end = next((i for i in range(1, len(lines)) if lines[i].rstrip() in ("---", "...")), None)
    if end is None:
        problems.append(Problem(rel, 1, 1, tr("the front matter is not closed; add a line '---' after it")))
        return source
    source.data, found, _ = parse("\n".join(lines[1:end]), rel, offset=1)
    problems += found
    if source.data is None and not found:
        problems.append(Problem(rel, 2, 1, tr("the front matter is empty; it needs at least 'title: …'")))
    source.body = "\n".join(lines[end + 1:])
    return source


def _probe_media(path: Path, rel: str, probed: Memo) -> Media:
    """A media file's size, hash and, for a photo, its format and size in pixels (decoding it
    whole: a truncated or corrupt file fails here, not on a reader's phone). `probed` keeps the
    hash by the file's size, times and inode, and the rest by the hash: a rebuild reads only
    new or changed files, and a fresh checkout (new times) hashes them but decodes none again."""
    size = path.stat().st_size
    if size > MAX_MEDIA_BYTES:
        return Media(size, error=tr("is {size:,} bytes, over the limit of {max_media_bytes:,}",
                                    size=size, max_media_bytes=MAX_MEDIA_BYTES))

    def sha256() -> str:
        return hashlib.sha256(path.read_bytes()).hexdigest()

    stamp = _stamp(path, rel, MAX_MEDIA_BYTES)
    digest = probed.get(stamp, sha256) if stamp else sha256()
    return probed.get((digest, path.suffix.lower()), lambda: _decode(path, size, digest))


def _decode(path: Path, size: int, digest: str) -> Media:
    if path.suffix.lower() == ".pdf":           # a decision's scan: a PDF by its first bytes, not by its name
        with path.open("rb") as f:
            head = f.read(1024)
        return Media(size, digest) if b"%PDF-" in head else Media(size, digest, error=tr("is not a PDF file (it does not start as "
                                                                                         "one); scan it again as PDF"))
    if path.suffix.lower() not in (".jpg", ".jpeg", ".png", ".webp"):
        return Media(size, digest)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)     # the limit is checked below
            im = Image.open(path)
        with im:
            fmt, (w, h) = im.format, im.size
            if fmt in IMAGE_FORMATS and w * h <= MAX_IMAGE_PIXELS:
                im.load()                   # a truncated or corrupt file fails here, not on a reader's phone
                if im.getexif().get(0x0112, 1) in (5, 6, 7, 8):      # EXIF orientation: shown turned a quarter
                    w, h = h, w
    except Image.DecompressionBombError:
        return Media(size, digest, error=tr("is over {max_image_pixels:,} pixels",
                                            max_image_pixels=MAX_IMAGE_PIXELS))
    except Exception:        # Pillow raises many kinds for a broken header
        return Media(size, digest, error=tr("is not a readable image"))
    if fmt not in IMAGE_FORMATS:
        return Media(size, digest, error=tr("is a {fmt} image; use JPEG, PNG or WebP", fmt=fmt))
    if w * h > MAX_IMAGE_PIXELS:
        return Media(size, digest, error=tr("is {w}×{h} pixels, over the limit of {max_image_pixels:,}",
                                            w=w, h=h, max_image_pixels=MAX_IMAGE_PIXELS))
    return Media(size, digest, fmt, w, h)


MISNAMED = re.compile(r"(?s:.*\.(?:(?!yaml\Z)(?i:yaml|yml)|(?!md\Z)(?i:md)))\Z")     # .yml, .YAML, .MD: not read


def unread(root: Path) -> list[Problem]:
    """The files of products/ and content/ meant for the build that it does not read: one named
    .yml, .YAML or .MD (an error: rename it), a record or text in a folder the build does not
    read (a warning: where it belongs). Media files may be anywhere under products/media/."""
    problems = []
    for top in ("products", "content"):
        if (root / top).is_symlink() and leads_away(root, root / top):
            continue
        for here, _, names in os.walk(root / top):      # (the kinds of entries come with the names: no stat)
            folder = Path(here).relative_to(root).as_posix()
            for name in filter(MISNAMED.match, names):
                stem, suffix = name.rsplit(".", 1)
                right = "md" if suffix.lower() == "md" else "yaml"
                problems.append(Problem(f"{folder}/{name}", 1, 1,
                                        tr("only .{right} files are read; rename it to {folder}/{stem}.{right}",
                                           right=right, folder=folder, stem=stem)))
            if folder == "products" or f"{folder}/".startswith(("products/decisions/", "products/media/")):
                continue
            for name in filter(MEANT.match, names):
                if (folder == "content" and name in CONTENT_FILES
                        or folder in ("content/pages", "content/news") and name.endswith(".md")):
                    continue
                if folder.startswith("products/"):
                    where = (tr("product records go directly in products/, decisions in products/decisions/; "
                                "move it to products/{name}", name=name))
                elif f"{folder}/".startswith(("content/pages/", "content/news/")) and name.endswith(".md"):
                    base = "/".join(folder.split("/")[:2])
                    where = tr("{base}/ is read without its subfolders; move it to {base}/{name}",
                               base=base, name=name)
                else:
                    near = difflib.get_close_matches(name, CONTENT_FILES, 1) if folder == "content" else []
                    where = (tr("did you mean content/{value}?", value=near[0]) if near else tr("pages go in content/pages/, news posts "
                                                                                "in content/news/, and content/ itself "
                                                                                "holds communes.yaml, showrooms.yaml and "
                                                                                "retired.yaml"))
                problems.append(Problem(f"{folder}/{name}", 1, 1, tr("this file is not read: {where}", where=where), "warning"))
    if (root / "site.yml").is_file():
        problems.append(Problem("site.yml", 1, 1, tr("only .yaml files are read; rename it to site.yaml")))
    return sorted(problems, key=lambda p: p.path)


CONTENT_FILES = ("communes.yaml", "showrooms.yaml", "retired.yaml")
MEANT = re.compile(r".*\.(?:yaml|md)\Z", re.S)


def _files(folder: Path, root: Path, pattern: str) -> list[str]:
    """The files in `folder` whose name matches `pattern` ("**/" first: in the folders under it
    too, but not in a folder that is a symbolic link), as paths from `root`, sorted. (os.walk reads
    the kinds of entries with the names: no stat a file.)"""
    deep, name = pattern.startswith("**/"), pattern.removeprefix("**/")
    found: list[str] = []
    if folder.is_symlink() and leads_away(root, folder):        # said by _load_files
        return found
    for here, _, files in os.walk(folder):
        prefix = Path(here).relative_to(root).as_posix() + "/"
        found += [prefix + file for file in fnmatch.filter(files, name)]
        if not deep:
            break
    return sorted(found)


def git_dates(root: Path, cache: Path | None = None) -> dict[str, date]:
    """The date of the last commit that touched each file of the site, from `git log`; nothing
    outside a git checkout. With a cache folder, the dates of the last build's commit are kept and
    only the commits since are read: the whole history of a folder of 20,000 files with 5,000
    commits takes `git log` ~8 s. (A file's date is the latest of its commits', so that both ways
    give the same dates whatever order the log lists the commits in.)"""
    head = git(root, "rev-parse", "--verify", "-q", "HEAD")
    if head is None:
        return {}
    place = str(root.resolve())
    known = read_versioned(cache / "git-dates.data", 1) if cache else {}
    dates: dict[str, date] = {}
    commits = "HEAD"
    if known.get("root") == place:
        if known["head"] == head:
            return known["dates"]
        if git(root, "merge-base", "--is-ancestor", known["head"], "HEAD") is not None:
            dates, commits = known["dates"], f"{known['head']}..HEAD"
    log = git(root, "log", "--format=%x00%cs", "--name-only", "--no-renames", "--relative", commits, "--", ".")
    if log is None:
        return {}
    day = None
    for line in log.splitlines():
        if line.startswith("\0"):
            day = date.fromisoformat(line[1:])
        elif line and day and (line not in dates or dates[line] < day):
            dates[line] = day
    if cache:
        cache.mkdir(parents=True, exist_ok=True)
        write_versioned(cache / "git-dates.data", 1, {"root": place, "head": head, "dates": dates})
    return dates


def load_site(root: Path, cache: Path | None = None, dated: bool = False, keep: bool = True,
              seen: dict[str, tuple] | None = None) -> RawSite:
    """Every file of the site that the build reads, parsed but not yet checked. With a cache
    folder, unchanged YAML is not parsed again (`keep=False`: the cache is read, not written).
    `dated`: with the date of each file's last commit (which only pages show), read from git
    while the files are read. `seen`: the files' stats taken just before (fresh.Snapshot.seen),
    by their path in the site folder: the product and decision files are not looked at again."""
    if not dated:
        return _load_files(root, cache, keep, seen)
    with ThreadPoolExecutor(1) as git:
        dates = git.submit(git_dates, root, cache if keep else None)
        raw = _load_files(root, cache, keep, seen)
        raw.updated = dates.result()
    return raw


def _load_files(root: Path, cache: Path | None, keep: bool, seen: dict[str, tuple] | None) -> RawSite:
    parse = Parsed(cache / "parsed.data" if cache else None, keep)
    raw = RawSite(root)
    problems = raw.problems
    for folder in ("products", "content", "products/media", "products/decisions", "products/codes", "content/pages",
                   "content/news"):     # (links further inside are not followed: _files)
        if (root / folder).is_symlink() and (why := leads_away(root, root / folder, tr("the folder"))):
            problems.append(Problem(folder, 1, 1, why))
    problems += unread(root)
    if (root / "site.yaml").is_file():
        raw.site = _load_yaml_file(root, "site.yaml", problems, parse)
    elif (root / "site.yaml").is_dir():
        problems.append(Problem("site.yaml", 1, 1, tr("is a folder; site.yaml must be a file with title, "
                                                      "base_url, languages and region")))
    else:
        problems.append(Problem("site.yaml", 1, 1, tr("is missing: this folder is not a site, or site.yaml is "
                                                      "not in it; every site needs site.yaml with title, "
                                                      "base_url, languages and region")))
    known = Memo(cache / "texts.data" if cache else None, 2, few=0, keep=keep)     # 2: file_key
    raw.products = [_read_later(root, rel, problems, known, seen) for rel in _files(root / "products", root, "*.yaml")]
    raw.decisions = [_read_later(root, rel, problems, known, seen)
                     for rel in _files(root / "products" / "decisions", root, "**/*.yaml")]
    known.save()
    raw.parsed_decisions = Parsed(cache / "parsed-decisions.data" if cache else None, keep)
    for name in ("communes", "showrooms", "retired"):
        if (root / "content" / f"{name}.yaml").is_file():
            setattr(raw, name, _load_yaml_file(root, f"content/{name}.yaml", problems, parse))
    if (root / REGISTER).is_file():
        text, found = read_text(root, REGISTER)
        problems += found
        raw.register = [(n, line.strip()) for n, line in enumerate((text or "").split("\n"), 1)
                        if line.strip() and not line.lstrip().startswith("#")]
    raw.pages = [_load_markdown(root, rel, problems, parse) for rel in _files(root / "content" / "pages", root, "*.md")]
    raw.news = [_load_markdown(root, rel, problems, parse) for rel in _files(root / "content" / "news", root, "*.md")]
    parse.save()
    for rel in _files(root / "products" / "codes", root, "*.txt"):
        text, found = read_text(root, rel)
        problems += found
        if text is not None:
            raw.codes[rel] = text
    media_root = root / "products" / "media"
    probed = Memo(cache / "media.data" if cache else None, (2, Image.__version__, MAX_IMAGE_PIXELS), few=0,
                  keep=keep)
    for rel in _files(media_root, root, "**/*"):
        path = root / rel
        key = Path(rel).relative_to("products").as_posix()
        if path.is_symlink() and (why := leads_away(root, path)):
            raw.media[key] = Media(0, error=why)
        else:
            raw.media[key] = _probe_media(path, rel, probed)
    probed.save()
    return raw
