"""The exception tree.  Every error has a stable id that logs, exit messages and
(later) API responses carry, so operators can search for it.

    CallcenterError
    ├── ConfigError            config.invalid        bad or missing setting (exit 2)
    ├── SchemaOutOfDate        db.schema_out_of_date database needs `callcenter db upgrade`
    ├── AmiError
    │   ├── AmiConnectionLost  ami.connection_lost   action in flight when the link dropped
    │   ├── AmiLoginRefused    ami.login_refused     wrong username/secret or ACL
    │   ├── AmiActionFailed    ami.action_failed     Asterisk answered Response: Error
    │   ├── AmiTimeout         ami.timeout           no answer in time
    │   └── AmiUnsafeValue     ami.unsafe_value      CR/LF in a value (header injection)
    └── TestBedError           testbed.failed        the Asterisk test bed could not start
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


class TestBedError(CallcenterError):
    __test__ = False
    error_id = "testbed.failed"
