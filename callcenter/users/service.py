"""Users and sessions.  Passwords are hashed with Argon2id (argon2-cffi); a session
token is 32 random bytes whose SHA-256 alone is stored, so a leaked database does
not sign anyone in."""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Engine, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from callcenter.ami.grammar import is_dial_string
from callcenter.errors import UserError
from callcenter.store import models as m

ROLES = ("supervisor", "agent")
MIN_PASSWORD = 8
_hasher = PasswordHasher()
# Verifying against this when the user does not exist keeps the timing the same.
_DUMMY_HASH = _hasher.hash("not-a-real-password")


@dataclass(frozen=True, slots=True)
class WebUser:
    id: int
    username: str
    display_name: str
    role: str
    member_interface: str | None
    phone_interface: str | None = None  # a supervisor's own phone (listen / whisper / barge)

    @property
    def is_supervisor(self) -> bool:
        return self.role == "supervisor"


@dataclass(frozen=True, slots=True)
class Session:
    user: WebUser
    csrf_token: str
    expires_at: float


def _user(row: Any) -> WebUser:
    return WebUser(row.id, row.username, row.display_name, row.role, row.member_interface,
                   row.phone_interface)


def _check_phone(interface: str | None) -> None:
    if interface and not is_dial_string(interface):
        raise UserError("a phone is a dial string like PJSIP/2001 (letters, digits, _ . @ / - +)")


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise UserError(f"a password needs at least {MIN_PASSWORD} characters")


def add_user(engine: Engine, username: str, password: str, role: str, now: float, *,
             display_name: str = "", member_interface: str | None = None,
             phone_interface: str | None = None) -> WebUser:
    if not re.fullmatch(r"[A-Za-z0-9_.\-]{2,64}", username):
        raise UserError("a user name is 2-64 letters, digits, '.', '_' or '-'")
    if role not in ROLES:
        raise UserError(f"role must be one of {', '.join(ROLES)}")
    if role == "agent" and not member_interface:
        raise UserError("an agent needs --interface (the queue member, e.g. PJSIP/1001)")
    _check_password(password)
    _check_phone(phone_interface)
    try:
        with engine.begin() as conn:
            user_id = conn.execute(insert(m.User).values(
                username=username, display_name=display_name or username, role=role,
                password_hash=_hasher.hash(password), member_interface=member_interface or None,
                phone_interface=phone_interface or None, disabled=False,
                created_at=now).returning(m.User.id)).scalar_one()
    except IntegrityError:
        raise UserError(f"user {username!r} or interface {member_interface!r} exists already") \
            from None
    return WebUser(user_id, username, display_name or username, role, member_interface or None,
                   phone_interface or None)


def set_password(engine: Engine, username: str, password: str) -> None:
    _check_password(password)
    with engine.begin() as conn:
        user_id = conn.execute(select(m.User.id).where(m.User.username == username)).scalar()
        if user_id is None:
            raise UserError(f"no user {username!r}")
        conn.execute(update(m.User).where(m.User.id == user_id)
                     .values(password_hash=_hasher.hash(password)))
        conn.execute(delete(m.WebSession).where(m.WebSession.user_id == user_id))


def set_phone(engine: Engine, username: str, interface: str | None) -> None:
    """The user's own phone (None or "": none): what listening to an agent rings."""
    _check_phone(interface)
    with engine.begin() as conn:
        changed = conn.execute(update(m.User).where(m.User.username == username)
                               .values(phone_interface=interface or None)).rowcount
    if not changed:
        raise UserError(f"no user {username!r}")


def set_disabled(engine: Engine, username: str, disabled: bool) -> None:
    with engine.begin() as conn:
        user_id = conn.execute(select(m.User.id).where(m.User.username == username)).scalar()
        if user_id is None:
            raise UserError(f"no user {username!r}")
        conn.execute(update(m.User).where(m.User.id == user_id).values(disabled=disabled))
        if disabled:  # signed out everywhere, at once
            conn.execute(delete(m.WebSession).where(m.WebSession.user_id == user_id))


def agent_of(engine: Engine, member_interface: str) -> tuple[WebUser, bool] | None:
    """The user whose queue member is `member_interface`, and whether they are disabled
    (None: no user has it).  The phone's feature codes log that member in."""
    with engine.connect() as conn:
        row = conn.execute(select(m.User).where(m.User.member_interface == member_interface)
                           ).first()
    return None if row is None else (_user(row), bool(row.disabled))


def list_users(engine: Engine) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        rows = conn.execute(select(m.User).order_by(m.User.username)).all()
    return [{"username": r.username, "name": r.display_name, "role": r.role,
             "interface": r.member_interface or "",
             "phone": r.phone_interface or "", "disabled": r.disabled} for r in rows]


def authenticate(engine: Engine, username: str, password: str) -> WebUser | None:
    with engine.connect() as conn:
        row = conn.execute(select(m.User).where(m.User.username == username)).one_or_none()
    try:
        _hasher.verify(row.password_hash if row else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        return None
    if row is None or row.disabled:
        return None
    if _hasher.check_needs_rehash(row.password_hash):
        with engine.begin() as conn:
            conn.execute(update(m.User).where(m.User.id == row.id)
                         .values(password_hash=_hasher.hash(password)))
    return _user(row)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def open_session(engine: Engine, user: WebUser, now: float, ttl_s: float) -> tuple[str, Session]:
    token = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(32)
    with engine.begin() as conn:
        conn.execute(delete(m.WebSession).where(m.WebSession.expires_at < now))
        conn.execute(insert(m.WebSession).values(
            token_hash=_digest(token), user_id=user.id, csrf_token=csrf, created_at=now,
            expires_at=now + ttl_s))
    return token, Session(user, csrf, now + ttl_s)


def find_session(engine: Engine, token: str, now: float) -> Session | None:
    with engine.connect() as conn:
        row = conn.execute(
            select(m.WebSession.csrf_token, m.WebSession.expires_at, m.User)
            .join(m.User, m.User.id == m.WebSession.user_id)
            .where(m.WebSession.token_hash == _digest(token))).one_or_none()
    if row is None or row.expires_at < now or row.disabled:
        return None
    return Session(_user(row), row.csrf_token, row.expires_at)


def close_session(engine: Engine, token: str) -> None:
    with engine.begin() as conn:
        conn.execute(delete(m.WebSession).where(m.WebSession.token_hash == _digest(token)))
