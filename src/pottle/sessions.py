"""Sessions: the interface apps and extensions implement, and the default
signed-cookie sessions, wire-compatible with Flask's.

A session interface may be sync (as in Flask; it runs on the request's
worker thread, so blocking stores are fine) or async (``async def
open_session``, awaited on the loop). The default interface does no I/O and
is marked to run on the loop.
"""

from __future__ import annotations

import hashlib
import typing as t
from collections.abc import MutableMapping
from datetime import UTC, datetime

from itsdangerous import BadData, URLSafeTimedSerializer
from werkzeug.datastructures import CallbackDict

from ._concurrency import on_loop
from .json.tag import TaggedJSONSerializer

if t.TYPE_CHECKING:
    from .app import Pottle
    from .wrappers import Request, Response


class SessionMixin(MutableMapping[str, t.Any]):
    """The flags every session object carries."""

    @property
    def permanent(self) -> bool:
        """Whether the cookie outlives the browser session
        (``PERMANENT_SESSION_LIFETIME``)."""
        return self.get("_permanent", False)  # type: ignore[no-any-return]

    @permanent.setter
    def permanent(self, value: bool) -> None:
        self["_permanent"] = bool(value)

    #: Whether the session was just created (always False for cookie sessions).
    new = False
    #: Whether the session changed; interfaces without change tracking keep
    #: this True so the session is always saved.
    modified = True
    #: Whether the session was read or written (adds ``Vary: Cookie``).
    accessed = False


class SecureCookieSession(CallbackDict[str, t.Any], SessionMixin):
    """A dict that records when it is modified; the default session."""

    modified = False

    def __init__(self, initial: t.Mapping[str, t.Any] | None = None) -> None:
        def on_update(self: SecureCookieSession) -> None:
            self.modified = True

        super().__init__(initial, on_update)


class NullSession(SecureCookieSession):
    """The session when none can be made (no secret key): reading works,
    writing raises an error that says why."""

    def _fail(self, *args: t.Any, **kwargs: t.Any) -> t.NoReturn:
        raise RuntimeError(
            "The session is unavailable because no secret "
            "key was set.  Set the secret_key on the "
            "application to something unique and secret."
        )

    __setitem__ = __delitem__ = clear = pop = popitem = update = setdefault = _fail
    del _fail


class SessionInterface:
    """The interface to implement to replace the session.

    Implement :meth:`open_session` and :meth:`save_session`, sync or async.
    The cookie settings come from the app config through the ``get_cookie_*``
    methods.
    """

    #: Returned by :meth:`make_null_session` when no session can be opened.
    null_session_class: type[NullSession] = NullSession
    #: Whether the serializer is pickle-based (informational, as in Flask).
    pickle_based = False

    def make_null_session(self, app: Pottle) -> NullSession:
        """The session to use when :meth:`open_session` returns None."""
        return self.null_session_class()

    def is_null_session(self, obj: object) -> bool:
        """Whether ``obj`` is a null session (never saved)."""
        return isinstance(obj, self.null_session_class)

    def get_cookie_name(self, app: Pottle) -> str:
        """``SESSION_COOKIE_NAME``."""
        return app.config["SESSION_COOKIE_NAME"]  # type: ignore[no-any-return]

    def get_cookie_domain(self, app: Pottle) -> str | None:
        """``SESSION_COOKIE_DOMAIN``."""
        return app.config["SESSION_COOKIE_DOMAIN"]  # type: ignore[no-any-return]

    def get_cookie_path(self, app: Pottle) -> str:
        """``SESSION_COOKIE_PATH``, else ``APPLICATION_ROOT``."""
        return app.config["SESSION_COOKIE_PATH"] or app.config["APPLICATION_ROOT"]  # type: ignore[no-any-return]

    def get_cookie_httponly(self, app: Pottle) -> bool:
        """``SESSION_COOKIE_HTTPONLY``."""
        return app.config["SESSION_COOKIE_HTTPONLY"]  # type: ignore[no-any-return]

    def get_cookie_secure(self, app: Pottle) -> bool:
        """``SESSION_COOKIE_SECURE``."""
        return app.config["SESSION_COOKIE_SECURE"]  # type: ignore[no-any-return]

    def get_cookie_samesite(self, app: Pottle) -> str | None:
        """``SESSION_COOKIE_SAMESITE``."""
        return app.config["SESSION_COOKIE_SAMESITE"]  # type: ignore[no-any-return]

    def get_cookie_partitioned(self, app: Pottle) -> bool:
        """``SESSION_COOKIE_PARTITIONED``."""
        return app.config["SESSION_COOKIE_PARTITIONED"]  # type: ignore[no-any-return]

    def get_expiration_time(
        self, app: Pottle, session: SessionMixin
    ) -> datetime | None:
        """When a permanent session's cookie expires; None for a browser
        session."""
        if session.permanent:
            return datetime.now(UTC) + app.permanent_session_lifetime
        return None

    def should_set_cookie(self, app: Pottle, session: SessionMixin) -> bool:
        """Whether to send the cookie: when modified, or to refresh a
        permanent session (``SESSION_REFRESH_EACH_REQUEST``)."""
        return session.modified or (
            session.permanent and app.config["SESSION_REFRESH_EACH_REQUEST"]
        )

    def open_session(self, app: Pottle, request: Request) -> SessionMixin | None:
        """Load the session for ``request``; None means a null session.
        May be ``async def``."""
        raise NotImplementedError()

    def save_session(
        self, app: Pottle, session: SessionMixin, response: Response
    ) -> None:
        """Persist ``session`` and set the cookie on ``response``. May be
        ``async def``."""
        raise NotImplementedError()


session_json_serializer = TaggedJSONSerializer()


def _lazy_sha1(string: bytes = b"") -> t.Any:
    # Looked up at call time so FIPS builds without sha1 can still import us.
    return hashlib.sha1(string)


class SecureCookieSessionInterface(SessionInterface):
    """Sessions stored in a cookie signed with itsdangerous, byte-compatible
    with Flask's: a cookie made by Flask opens here and the other way round.
    Signs with ``SECRET_KEY`` and accepts ``SECRET_KEY_FALLBACKS``."""

    #: Mixed into the signing key, as in Flask.
    salt = "cookie-session"
    #: The hash for the signature (SHA-1, as in Flask).
    digest_method = staticmethod(_lazy_sha1)
    #: How the signing key is derived from the secret key.
    key_derivation = "hmac"
    #: Serializes the session's data (tagged JSON).
    serializer = session_json_serializer
    session_class = SecureCookieSession

    def get_signing_serializer(self, app: Pottle) -> URLSafeTimedSerializer | None:
        """The serializer for ``app``'s keys; None without a secret key."""
        if not app.secret_key:
            return None
        keys: list[str | bytes] = []
        if fallbacks := app.config["SECRET_KEY_FALLBACKS"]:
            keys.extend(fallbacks)
        # itsdangerous signs with the last key (CVE-2025-47278).
        keys.append(app.secret_key)
        # Building one costs a test serialization; reuse it while nothing
        # that goes into it changes.
        key = (
            tuple(keys),
            self.salt,
            self.serializer,
            self.key_derivation,
            self.digest_method,
        )
        cached = self.__dict__.get("_serializer_cache")
        if cached is not None and cached[0] == key:
            return cached[1]  # type: ignore[no-any-return]
        serializer = URLSafeTimedSerializer(
            keys,  # type: ignore[arg-type]
            salt=self.salt,
            serializer=self.serializer,
            signer_kwargs={
                "key_derivation": self.key_derivation,
                "digest_method": self.digest_method,
            },
        )
        self.__dict__["_serializer_cache"] = (key, serializer)
        return serializer

    @on_loop
    def open_session(self, app: Pottle, request: Request) -> SecureCookieSession | None:
        name = self.get_cookie_name(app)
        value = None
        # Most requests of many apps carry no cookie: skip parsing then
        # (and werkzeug's .get() builds an exception for a missing key).
        if any(key.lower() == "cookie" for key, _ in request.headers):
            cookies = request.cookies
            value = cookies[name] if name in cookies else None
        if not value and _default_serializer(self):
            # No cookie: an empty session, or none without a secret key,
            # without building a serializer.
            return self.session_class() if app.secret_key else None
        serializer = self.get_signing_serializer(app)
        if serializer is None:
            return None
        if not value:
            return self.session_class()
        max_age = int(app.permanent_session_lifetime.total_seconds())
        try:
            data = serializer.loads(value, max_age=max_age)
        except BadData:
            # Tampered, truncated, expired, signed with an unknown key, or
            # signed yet not tagged JSON: start a new session, never a 500.
            return self.session_class()
        if not isinstance(data, dict):
            return self.session_class()
        return self.session_class(data)

    @on_loop
    def save_session(
        self, app: Pottle, session: SessionMixin, response: Response
    ) -> None:
        if not (session.accessed or session.modified or session):
            return  # untouched and empty: nothing to send, nothing to vary
        name = self.get_cookie_name(app)
        domain = self.get_cookie_domain(app)
        path = self.get_cookie_path(app)
        secure = self.get_cookie_secure(app)
        partitioned = self.get_cookie_partitioned(app)
        samesite = self.get_cookie_samesite(app)
        httponly = self.get_cookie_httponly(app)

        # Any session access can change the response (CVE-2023-30861).
        if session.accessed:
            response.vary.add("Cookie")

        # An emptied session deletes the cookie; an untouched empty one
        # sends nothing.
        if not session:
            if session.modified:
                response.delete_cookie(
                    name,
                    domain=domain,
                    path=path,
                    secure=secure,
                    partitioned=partitioned,
                    samesite=samesite,
                    httponly=httponly,
                )
                response.vary.add("Cookie")
            return

        if not self.should_set_cookie(app, session):
            return

        expires = self.get_expiration_time(app, session)
        value = self.get_signing_serializer(app).dumps(dict(session))  # type: ignore[union-attr]
        response.set_cookie(
            name,
            value,
            expires=expires,
            httponly=httponly,
            domain=domain,
            path=path,
            secure=secure,
            partitioned=partitioned,
            samesite=samesite,
        )
        response.vary.add("Cookie")


def _default_serializer(interface: SecureCookieSessionInterface) -> bool:
    """Whether ``get_signing_serializer`` is ours (None exactly without a
    secret key)."""
    return (
        type(interface).get_signing_serializer
        is SecureCookieSessionInterface.get_signing_serializer
    )
