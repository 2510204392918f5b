"""The recordings' scheduled work, each run in a worker thread (files and SQL):

- linking: every ended call's ticket gets its recording, once: the file Asterisk wrote
  for its Linkedid, or a note that there is none;
- retention (过期销毁): recordings of calls older than `retention_days` are deleted and
  their tickets say so.  A file already gone is logged and marked; one that cannot be
  deleted (permissions, a read-only mount) is logged and tried again next run."""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from dataclasses import dataclass

import structlog
from sqlalchemy import Engine

from callcenter.errors import RecordingMissing, RecordingUndeletable, RecordingUnreadable
from callcenter.recordings import service
from callcenter.recordings.settings import RecordingsSettings

log = structlog.get_logger("callcenter.recordings")

DAY_S = 86400.0


@dataclass(frozen=True)
class Recordings:
    engine: Engine
    settings: RecordingsSettings
    now: Callable[[], float]

    def link(self) -> int:
        """Looks for the recordings of the calls that ended since the last run."""
        now = self.now()
        found: list[service.Found] = []
        for t in service.unlinked(self.engine, now,
                                  since=now - self.settings.retention_days * DAY_S,
                                  unended_after_s=self.settings.unended_after_s):
            try:
                path, size = _first_file(self.settings.files(t.linkedid))
            except OSError as exc:  # the directory unreadable: a setting to fix, retried
                log.warning("recording.unreadable", error_id=RecordingUnreadable.error_id,
                            ticket=t.ticket_id, linkedid=t.linkedid, dir=self.settings.dir,
                            reason=f"{type(exc).__name__}: {exc.strerror or exc}")
                continue
            found.append(service.Found(t.ticket_id, path, size, t.opened_at))
            if path is None:
                log.info("recording.none", ticket=t.ticket_id, linkedid=t.linkedid)
            else:
                log.info("recording.linked", ticket=t.ticket_id, linkedid=t.linkedid,
                         path=path, bytes=size)
        return service.link(self.engine, found, now)

    def expire(self) -> int:
        """Deletes the recordings past retention; the number deleted (or found gone)."""
        now = self.now()
        before = now - self.settings.retention_days * DAY_S
        done = 0
        for r in service.expired(self.engine, before):
            ids = {"ticket": r.ticket_id, "linkedid": r.linkedid, "path": r.path}
            try:
                os.unlink(r.path)
            except FileNotFoundError:
                log.warning("recording.already_gone", error_id=RecordingMissing.error_id, **ids)
            except OSError as exc:  # permission, read-only, a directory: try again next run
                log.error("recording.delete_failed", error_id=RecordingUndeletable.error_id,
                          reason=f"{type(exc).__name__}: {exc.strerror or exc}", **ids)
                continue
            else:
                log.info("recording.deleted", retention_days=self.settings.retention_days,
                         **ids)
            service.mark_deleted(self.engine, r.recording_id, now)
            done += 1
        return done


def _first_file(paths: list[str]) -> tuple[str | None, int | None]:
    """The first of `paths` that is a regular file, and its size."""
    for path in paths:
        try:
            st = os.stat(path)
        except FileNotFoundError:
            continue
        if stat.S_ISREG(st.st_mode):
            return path, st.st_size
    return None, None
