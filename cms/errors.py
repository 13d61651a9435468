"""The exceptions module code can catch: one base, one class per kind of mistake.

Every message says what went wrong, with which value, and what to do about it, because the CLI
and the web turn these into one line for a person to act on.
"""


class CmsError(Exception):
    """Base of every error this package raises on purpose."""


class DatabaseError(CmsError):
    """The database cannot be reached, or refused what was asked of it."""


class DatabaseBusy(DatabaseError):
    """SQLite's write lock stayed with another process past the lock timeout: nothing was
    written, and the same call may simply be made again (the web answers 503)."""


class SchemaError(CmsError):
    """A schema change that cannot be made (for example inside a transaction)."""


class SelectorError(CmsError, ValueError):
    """A selector string that cannot be parsed or names something unknown.

    `position` is the 0-based offset into the selector and `token` the text found there, so a
    caller can point at the mistake.
    """

    def __init__(self, message: str, selector: str = "", position: int | None = None,
                 token: str = "", hint: str = ""):
        self.message = message
        self.selector = selector
        self.position = position
        self.token = token
        self.hint = hint
        text = message
        if position is not None:
            text += f" at position {position}"
        if token:
            text += f" (near {token!r})"
        if selector:
            text += f" in selector {selector!r}"
        if hint:
            text += f"; {hint}"
        super().__init__(text)

    def within(self, selector: str, shift: int) -> "SelectorError":
        """The same error told of `selector`, whose text stands `shift` characters earlier."""
        position = None if self.position is None else max(0, self.position - shift)
        return SelectorError(self.message, selector, position, self.token, self.hint)


class ValidationError(CmsError, ValueError):
    """A value a field or page cannot hold; names the field, the value and the rule."""

    def __init__(self, message: str, field: str = "", value: object = None, rule: str = ""):
        self.field = field
        self.value = value
        self.rule = rule
        super().__init__(message)


class PageError(CmsError):
    """A page operation that the tree cannot allow (a move under itself, a delete with children)."""


class NameConflict(PageError):
    """Another process gave a page the same name under the same parent between this save's
    check and its write (PostgreSQL, MariaDB: SQLite's one writer cannot race). A save at the
    top level runs again and takes `name-1`; inside a caller's transaction, the caller runs
    its transaction again."""


class PageLocked(PageError):
    """A locked page (or a branch holding one) cannot be deleted: unlock it first, as
    ProcessWire's isDeleteable() says. Emptying the trash leaves such a branch there."""


class ModuleError(CmsError):
    """A module that cannot be found, installed or configured."""


class PermissionDenied(CmsError):
    """The current user may not do this."""


class QueryTimeout(DatabaseError):
    """A statement ran past the time `Database.time_limit` gave it and was stopped."""
