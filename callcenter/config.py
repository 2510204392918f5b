"""The generic settings loader: built-in defaults, then the TOML file, then systemd's
credentials, then environment variables, for whatever sections the features declare.

A section is a frozen dataclass with a `SECTION` name; each field is one key, its
type is the schema and its default the one default (`setting()` adds a check).  The
file's path comes from `--config` or CALLCENTER_CONFIG.  Any key can be overridden as
CALLCENTER__<SECTION>__<KEY> (e.g. CALLCENTER__AMI__SECRET), so secrets need not live
in the file.  Under systemd, secrets come best as credentials (`LoadCredential=`): a
file named `<section>.<key>` (e.g. `ami.secret`, `database.url`) in
$CREDENTIALS_DIRECTORY is that key's value (above the file, below the environment;
credentials of sections we do not know are someone else's and ignored).  Everything
is validated at start: a wrong value raises ConfigError naming the key and what is
wrong (the CLI exits 2).  This module imports no network
library, and knows no feature: the list of sections is passed in.
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
import typing
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any, TypeVar

from callcenter.errors import ConfigError

ENV_PREFIX = "CALLCENTER__"
Check = Callable[[Any], "str | None"]  # returns the problem, or None
S = TypeVar("S")


def setting(default: Any = dataclasses.MISSING, *checks: Check,
            factory: Callable[[], Any] | None = None) -> Any:
    """A key with its one default (or a factory for a table) and the checks its value
    must pass."""
    meta = {"checks": checks}
    if factory is not None:
        return dataclasses.field(default_factory=factory, metadata=meta)
    return dataclasses.field(default=default, metadata=meta)


@dataclasses.dataclass(frozen=True)
class Config:
    """Every loaded section, by its class: `config.get(WebSettings)`.  A section that
    may be a list (`[[ami]]`, see `LIST_KEY`) gives its first entry to `get` and every
    entry to `every`."""

    source: str
    sections: Mapping[type, Any]
    lists: Mapping[type, tuple[Any, ...]] = dataclasses.field(default_factory=dict)

    def get(self, kind: type[S]) -> S:
        found = self.sections.get(kind)
        if found is None:
            raise ConfigError(_name(kind), "section not loaded")
        value: S = found
        return value

    def every(self, kind: type[S]) -> tuple[S, ...]:
        """Every entry of a list section (one for a plain table or no table at all)."""
        found: tuple[S, ...] = self.lists.get(kind) or (self.get(kind),)
        return found


def load(path: str | os.PathLike[str] | None = None, environ: Mapping[str, str] | None = None,
         sections: Iterable[type] | None = None) -> Config:
    env = os.environ if environ is None else environ
    if sections is None:
        # The features declare the sections; they import this module, hence the late import.
        from callcenter.features import SECTIONS  # noqa: PLC0415

        sections = SECTIONS
    kinds: dict[str, type] = {_name(kind): kind for kind in sections}
    raw: dict[str, Any] = {}
    source = "defaults"
    chosen = path or env.get("CALLCENTER_CONFIG")
    if chosen:
        file = Path(chosen)
        try:
            raw = tomllib.loads(file.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ConfigError("--config", f"{file} does not exist") from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError("--config", f"{file} is not valid TOML: {exc}") from None
        source = str(file)
    for name, table in raw.items():
        if name not in kinds:
            raise ConfigError(name, f"unknown section (known: {', '.join(kinds)})")
        if isinstance(table, list) and getattr(kinds[name], "LIST_KEY", None):
            if not table or not all(isinstance(t, dict) for t in table):
                raise ConfigError(name, f"[[{name}]] must be one or more tables")
        elif not isinstance(table, dict):
            raise ConfigError(name, "must be a table")
    # Each section as a list of tables (one for a plain table), each entry named.
    values: dict[str, list[dict[str, Any]]] = {
        name: [dict(t) for t in raw[name]] if isinstance(raw.get(name), list)
        else [dict(raw.get(name, {}))] for name in kinds}
    for name, entries in values.items():
        _entry_names(name, kinds[name], entries)
    credentials = env.get("CREDENTIALS_DIRECTORY")
    if credentials:
        for (section, entry, key), text in _credentials(Path(credentials), kinds).items():
            for table in _entries(values[section], kinds[section], entry, f"credential {section}"):
                table[key] = _from_env(f"credential {section}.{key}", text,
                                       _types(kinds[section])[key])
    # Every entry's overrides first, then one entry's (CALLCENTER__AMI__PBX2__PORT wins).
    overrides = [(var, text, *_env_key(var, kinds)) for var, text in env.items()
                 if var.startswith(ENV_PREFIX)]
    for var, text, section, entry, key in sorted(overrides, key=lambda o: o[3] is not None):
        for table in _entries(values[section], kinds[section], entry, var):
            table[key] = _from_env(var, text, _types(kinds[section])[key])
    built: dict[type, tuple[Any, ...]] = {
        kind: tuple(_build(kind, t) for t in values[name]) for name, kind in kinds.items()}
    return Config(source, {kind: entries[0] for kind, entries in built.items()},
                  {kind: entries for kind, entries in built.items() if len(entries) > 1
                   or isinstance(raw.get(_name(kind)), list)})


def _entry_names(section: str, kind: type, entries: list[dict[str, Any]]) -> None:
    """A list section's entries are told apart by their `LIST_KEY` (unique)."""
    key = getattr(kind, "LIST_KEY", None)
    if key is None or len(entries) < 2:
        return
    names = [str(t.get(key, "")) for t in entries]
    if "" in names:
        raise ConfigError(f"{section}.{key}", f"every [[{section}]] needs its own {key}")
    if len(set(names)) != len(names):
        raise ConfigError(f"{section}.{key}", f"[[{section}]] {key}s must be unique: {names}")


def _entries(entries: list[dict[str, Any]], kind: type, entry: str | None,
             where: str) -> list[dict[str, Any]]:
    """The entries an override names: all of them, or the one whose LIST_KEY is `entry`."""
    if entry is None:
        return entries
    key = getattr(kind, "LIST_KEY", "")
    default = getattr(kind, "LIST_DEFAULT", "")
    found = [t for t in entries if str(t.get(key, default)).lower() == entry]
    if not found:
        raise ConfigError(where, f"names no [[{_name(kind)}]] with {key} {entry!r}")
    return found


def _name(kind: type) -> str:
    name: str = getattr(kind, "SECTION", "")
    if not name or not dataclasses.is_dataclass(kind):
        raise TypeError(f"{kind.__name__} is not a settings section (a dataclass with SECTION)")
    return name


def _types(kind: type) -> dict[str, Any]:
    return typing.get_type_hints(kind)


def _env_key(var: str, kinds: Mapping[str, type]) -> tuple[str, str | None, str]:
    """CALLCENTER__<SECTION>__<KEY>, or CALLCENTER__<SECTION>__<ENTRY>__<KEY> for one
    entry of a list section (CALLCENTER__AMI__PBX2__SECRET)."""
    parts = var[len(ENV_PREFIX):].lower().split("__")
    entry = parts.pop(1) if len(parts) == 3 and parts[0] in kinds and getattr(
        kinds[parts[0]], "LIST_KEY", None) else None
    if len(parts) != 2 or parts[0] not in kinds or parts[1] not in _fields(kinds[parts[0]]):
        raise ConfigError(var, "does not name a setting (CALLCENTER__<SECTION>__<KEY>)")
    return parts[0], entry, parts[1]


def _credentials(directory: Path, kinds: Mapping[str, type]
                 ) -> dict[tuple[str, str | None, str], str]:
    """`<section>.<key>`, or `<section>.<entry>.<key>` for one entry of a list section."""
    found: dict[tuple[str, str | None, str], str] = {}
    try:
        files = sorted(directory.iterdir())
    except OSError as exc:
        raise ConfigError("$CREDENTIALS_DIRECTORY", f"cannot be read: {exc.strerror}") from None
    for file in files:
        section, dot, key = file.name.partition(".")
        if not dot or section not in kinds:
            continue
        entry: str | None = None
        if "." in key and getattr(kinds[section], "LIST_KEY", None):
            entry, _, key = key.partition(".")
            entry = entry.lower()
        if key not in _fields(kinds[section]):
            raise ConfigError(f"credential {file.name}", "does not name a setting "
                              "(<section>.<key>, e.g. ami.secret)")
        try:
            text = file.read_text(encoding="utf-8")
        except (OSError, UnicodeError) as exc:
            raise ConfigError(f"credential {file.name}", f"cannot be read: {exc}") from None
        found[section, entry, key] = text.rstrip("\r\n")  # a file's last newline is no part of it
    return found


def _fields(kind: type) -> dict[str, dataclasses.Field[Any]]:
    return {f.name: f for f in dataclasses.fields(kind)}


def _from_env(var: str, text: str, kind: Any) -> Any:
    if kind is bool:
        return text.lower() in ("1", "true", "yes")
    if typing.get_origin(kind) is tuple:
        return [x for x in text.split(",") if x]
    if kind in (int, float, str):
        try:
            return kind(text)
        except ValueError:
            raise ConfigError(var, f"must be {kind.__name__}, got {text!r}") from None
    raise ConfigError(var, "this setting is a table: set it in the file")


def _build(kind: type[S], table: Mapping[str, Any]) -> S:
    fields, types, section = _fields(kind), _types(kind), _name(kind)
    for key in table:
        if key not in fields:
            raise ConfigError(f"{section}.{key}",
                              f"unknown setting (known: {', '.join(fields)})")
    checked = {key: _checked(f"{section}.{key}", value, types[key], fields[key])
               for key, value in table.items()}
    for key, f in fields.items():
        if key not in checked:  # defaults pass the same checks (a wrong default is a bug)
            default = f.default_factory() if f.default_factory is not dataclasses.MISSING else f.default
            checked[key] = _checked(f"{section}.{key}", default, types[key], f)
    return kind(**checked)


def _checked(name: str, value: Any, kind: Any, f: dataclasses.Field[Any]) -> Any:
    value = _typed(name, value, kind)
    for check in f.metadata.get("checks", ()):
        problem = check(value)
        if problem:
            raise ConfigError(name, problem)
    return value


def _typed(name: str, value: Any, kind: Any) -> Any:
    origin = typing.get_origin(kind)
    if origin is tuple:  # tuple[X, ...]: a TOML array
        if not isinstance(value, list | tuple):
            raise ConfigError(name, f"must be a list, got {value!r}")
        item = typing.get_args(kind)[0]
        return tuple(_typed(name, v, item) for v in value)
    if origin in (Mapping, dict) or kind is Mapping:  # Mapping[str, X]: a TOML table
        if not isinstance(value, Mapping):
            raise ConfigError(name, f"must be a table, got {value!r}")
        item = typing.get_args(kind)[1] if typing.get_args(kind) else Any
        return {str(k): v if item is Any else _typed(f"{name}.{k}", v, item)
                for k, v in value.items()}
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if kind is Any:
        return value
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
        raise ConfigError(name, f"must be {kind.__name__}, got {value!r}")
    return value
