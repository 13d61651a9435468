"""What the two server engines share: `%s` placeholders and driver error codes."""
from __future__ import annotations

from .base import Database


class ServerDatabase(Database):
    """PostgreSQL and MariaDB: statements are rewritten from `?` to `%s` once and cached."""

    supports_skip_locked = True

    def sql(self, text: str) -> str:
        converted = self._sql_cache.get(text)
        if converted is None:
            converted = text.replace("%", "%%").replace("?", "%s")
            self._sql_cache[text] = converted
        return converted

    @staticmethod
    def driver_error(exc: BaseException) -> BaseException:
        """The driver's own exception behind peewee's wrapper."""
        if exc.args and isinstance(exc.args[0], BaseException):
            return exc.args[0]
        return exc.__cause__ or exc
