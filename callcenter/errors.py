"""The exception tree.  Every error has a stable id that logs, exit messages and
(later) API responses carry, so operators can search for it.

    CallcenterError
    ├── ConfigError            config.invalid        bad or missing setting (exit 2)
    ├── SchemaOutOfDate        db.schema_out_of_date database needs `callcenter db upgrade`
    ├── StoreError                                   the store writer's states (logged, on health)
    │   ├── DatabaseUnreachable store.database_unreachable outcomes kept, retried with back-off
    │   ├── WriterDied          store.writer_died     the writer process ended; restarted, batch re-sent
    │   ├── JournalUnwritable   store.journal_unwritable the journal cannot be written: kept in memory
    │   ├── JournalUnreadable   store.journal_unreadable a journal record no outcome: moved aside
    │   └── OutcomesLost        store.outcomes_lost   stopped with outcomes neither written nor journaled
    ├── AmiError
    │   ├── AmiConnectionLost  ami.connection_lost   action in flight when the link dropped
    │   ├── AmiLoginRefused    ami.login_refused     wrong username/secret or ACL
    │   ├── AmiActionFailed    ami.action_failed     Asterisk answered Response: Error
    │   ├── AmiTimeout         ami.timeout           no answer in time
    │   ├── AmiUnsafeValue     ami.unsafe_value      CR/LF in a value (header injection)
    │   └── MalformedEvent     ami.malformed_event   a known message with a missing or bad field
    ├── AgiError               FastAGI: logged with the call's ids, never fatal (dialplan defaults)
    │   ├── AgiListenFailed    agi.listen_failed     the FastAGI port cannot be opened (retried, on health)
    │   ├── AgiSessionsFull    agi.sessions_full     max_sessions busy: the call goes on without its script
    │   ├── AgiProtocolError   agi.protocol          a peer broke the protocol (garbage, oversized, bad ids)
    │   ├── AgiTimeout         agi.timeout           a peer went silent mid-session
    │   └── AgiScriptFailed    agi.script_failed     a script failed (database, bug)
    ├── TestBedError           testbed.failed        the Asterisk test bed could not start
    ├── CampaignError          campaign.invalid      no such campaign/attempt, bad mode, score
    ├── UnreadableFile         import.unreadable     a contact file that cannot be read at all
    ├── InvalidPhoneNumber     phone.invalid         not digits (+ and separators) or out of bounds
    ├── NoStatus               status.missing        `callcenter status` found no status file
    ├── QueueLogUnreadable     queue_log.unreadable  Asterisk's queue_log missing or not readable
    ├── QueueLogMismatch       queue_log.mismatch    the daemon's counts disagree with queue_log's
    ├── UserError              users.invalid         bad user name, role or password (CLI)
    ├── ReportRangeError       report.invalid_range  a report's --from/--to not a date, or out of order
    ├── LedgerError            ledger.invalid        a manual entry or reversal refused
    ├── RecordingError         logged by the recordings jobs, never fatal
    │   ├── RecordingMissing   recordings.missing    retention found the file already gone
    │   ├── RecordingUndeletable recordings.undeletable the file could not be deleted (retried)
    │   └── RecordingUnreadable recordings.unreadable the directory cannot be read (retried)
    └── WebError                                     answered as JSON {"error": id, "detail"}
        ├── NotSignedIn        web.unauthenticated   401: no or expired session
        ├── Forbidden          web.forbidden         403: not yours to see or change
        ├── CsrfRejected       web.csrf_rejected     403: form without its CSRF token
        ├── LoginThrottled     web.login_throttled   429: too many failed logins
        ├── ServerStopped      web.server_stopped    the web server ended without being told to
        ├── NotFound           web.not_found         404
        ├── RatedByCaller      web.rated_by_caller   409: the caller's own survey rating is not overwritten
        ├── TicketRefused      ticket.refused        409: a complaint closed too early, a verdict changed
        ├── RecordingGone      web.recording_gone    410: the recording was deleted after its retention
        └── InvalidInput       web.invalid_input     422: a field out of its allowed values
"""

from __future__ import annotations


class CallcenterError(Exception):
    error_id = "callcenter.error"


class ConfigError(CallcenterError):
    error_id = "config.invalid"

    def __init__(self, key: str, problem: str) -> None:
        super().__init__(f"{key}: {problem}")
        self.key = key
        self.problem = problem


class SchemaOutOfDate(CallcenterError):
    error_id = "db.schema_out_of_date"


class StoreError(CallcenterError):
    error_id = "store.error"


class DatabaseUnreachable(StoreError):
    error_id = "store.database_unreachable"


class WriterDied(StoreError):
    error_id = "store.writer_died"


class JournalUnwritable(StoreError):
    error_id = "store.journal_unwritable"


class JournalUnreadable(StoreError):
    error_id = "store.journal_unreadable"


class OutcomesLost(StoreError):
    """The one way outcomes are lost: a stop with the database away and the journal
    unwritable (disk full) at the same time."""

    error_id = "store.outcomes_lost"


class AmiError(CallcenterError):
    error_id = "ami.error"


class AmiConnectionLost(AmiError):
    error_id = "ami.connection_lost"


class AmiLoginRefused(AmiError):
    error_id = "ami.login_refused"


class AmiActionFailed(AmiError):
    error_id = "ami.action_failed"


class AmiTimeout(AmiError):
    error_id = "ami.timeout"


class AmiUnsafeValue(AmiError):
    error_id = "ami.unsafe_value"


class MalformedEvent(AmiError):
    """A message the AMI boundary knows, with a field missing or not a number: logged
    and skipped by the listener, never handed to the domain half-read."""

    error_id = "ami.malformed_event"


class AgiError(CallcenterError):
    error_id = "agi.error"


class AgiListenFailed(AgiError):
    error_id = "agi.listen_failed"


class AgiSessionsFull(AgiError):
    error_id = "agi.sessions_full"


class AgiProtocolError(AgiError):
    error_id = "agi.protocol"


class AgiTimeout(AgiError):
    error_id = "agi.timeout"


class AgiScriptFailed(AgiError):
    error_id = "agi.script_failed"


class TestBedError(CallcenterError):
    __test__ = False
    error_id = "testbed.failed"


class CampaignError(CallcenterError):
    error_id = "campaign.invalid"


class UnreadableFile(CallcenterError):
    """A whole file refused (encoding, no phone column); bad rows are reported instead."""

    error_id = "import.unreadable"


class InvalidPhoneNumber(CallcenterError):
    """Text that is not a phone number: refused at the boundary it came through."""

    error_id = "phone.invalid"


class NoStatus(CallcenterError):
    error_id = "status.missing"


class QueueLogUnreadable(CallcenterError):
    """Reported through the daemon's health (part `queue_log`), never fatal."""

    error_id = "queue_log.unreadable"


class QueueLogMismatch(CallcenterError):
    """An interval where the calls the daemon stored differ from queue_log's: logged
    and alerted by the running cross-check."""

    error_id = "queue_log.mismatch"


class UserError(CallcenterError):
    error_id = "users.invalid"


class ReportRangeError(CallcenterError):
    error_id = "report.invalid_range"


class LedgerError(CallcenterError):
    error_id = "ledger.invalid"


class RecordingError(CallcenterError):
    error_id = "recordings.error"


class RecordingMissing(RecordingError):
    error_id = "recordings.missing"


class RecordingUndeletable(RecordingError):
    error_id = "recordings.undeletable"


class RecordingUnreadable(RecordingError):
    error_id = "recordings.unreadable"


class WebError(CallcenterError):
    error_id = "web.error"
    status = 400


class NotSignedIn(WebError):
    error_id = "web.unauthenticated"
    status = 401


class Forbidden(WebError):
    error_id = "web.forbidden"
    status = 403


class CsrfRejected(WebError):
    error_id = "web.csrf_rejected"
    status = 403


class LoginThrottled(WebError):
    error_id = "web.login_throttled"
    status = 429

    def __init__(self, retry_after_s: float) -> None:
        super().__init__(f"too many failed logins; try again in {retry_after_s:.0f} s")
        self.retry_after_s = retry_after_s


class ServerStopped(WebError):
    error_id = "web.server_stopped"


class NotFound(WebError):
    error_id = "web.not_found"
    status = 404


class RatedByCaller(WebError):
    """The caller rated the call in the survey: nobody changes what the caller said."""

    error_id = "web.rated_by_caller"
    status = 409


class TicketRefused(WebError):
    """A ticket's edit the workflow refuses: a complaint closed before its follow-up
    call succeeded (and not marked unfounded), a final verdict changed."""

    error_id = "ticket.refused"
    status = 409


class RecordingGone(WebError):
    """The ticket's recording was deleted by retention (过期销毁)."""

    error_id = "web.recording_gone"
    status = 410


class InvalidInput(WebError):
    error_id = "web.invalid_input"
    status = 422


class AsteriskUnavailable(WebError):
    """An action for Asterisk could not be sent (the AMI link is down) or got no answer."""

    error_id = "web.asterisk_unavailable"
    status = 503


class AsteriskRefused(WebError):
    """Asterisk answered an action with an error (e.g. pausing a member of no queue)."""

    error_id = "web.asterisk_refused"
    status = 409


class SpyRefused(WebError):
    """Listening, whispering or barging cannot start: the agent is on no call Asterisk
    shows, the supervisor has no phone of their own, or the link to Asterisk is down."""

    error_id = "spy.refused"
    status = 409


class UploadTooLarge(WebError):
    """An upload past its limit ([callbacks] import_max_bytes): refused while it
    streams in, never stored whole."""

    error_id = "web.upload_too_large"
    status = 413
