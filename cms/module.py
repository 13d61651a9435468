"""`cms.Module`: the base of every module, Tasker included."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from .digits import INT64_MAX, int_of_digits, shown_number
from .errors import ValidationError

if TYPE_CHECKING:
    from .site import Site


class Module:
    """Subclass this to add behaviour to a site.

    `info` names and versions the module (a changed version runs `upgrade()` once);
    `config_defaults` are the settings `site.modules.get_config()` starts from, and their types
    are the types a saved setting must have (`check_config`); `config_limits` bounds numbers
    (`{"max_running": (0, None)}`: low, high, None for open); `config_labels` says what each
    is on the admin's settings form, units included (else the key is shown as words); `task_methods`
    lists the methods the web API may start as tasks (anything else is refused there, though
    Python callers may pass any public method to Tasker).
    """

    info: ClassVar[dict[str, Any]] = {"title": "", "version": "0.0.1", "summary": ""}
    config_defaults: ClassVar[dict[str, Any]] = {}
    config_limits: ClassVar[dict[str, tuple[float | None, float | None]]] = {}
    config_labels: ClassVar[dict[str, str]] = {}
    task_methods: ClassVar[tuple[str, ...]] = ()

    def __init__(self, site: Site):
        self.site = site

    @property
    def name(self) -> str:
        """The name the module is registered under (its class name unless registered otherwise)."""
        return getattr(type(self), "module_name", type(self).__name__)

    @property
    def config(self) -> dict[str, Any]:
        """The module's settings as stored now (defaults for what was never saved)."""
        return self.site.modules.get_config(self.name)

    @classmethod
    def check_config(cls, values: dict[str, Any]) -> dict[str, Any]:
        """Settings as the module keeps them: each converted to its default's type (text from
        a form is read: "7", "1.5", "on"), numbers within `config_limits`. Raises
        ValidationError naming the setting; override to add rules (call this first)."""
        checked = {}
        for key, value in values.items():
            default = cls.config_defaults.get(key)
            checked[key] = converted_setting(key, value, default)
            low, high = cls.config_limits.get(key, (None, None))
            number = checked[key]
            # Runners bind settings into SQL: a number past a 64-bit integer stopped every one
            # of them ("Python int too large to convert to SQLite INTEGER").
            if isinstance(number, int) and not isinstance(number, bool) and abs(number) > INT64_MAX:
                shown = shown_number(value if isinstance(value, str) else number)
                raise ValidationError(f"setting {key!r} must be at most {INT64_MAX} either way "
                                      f"(what a database integer holds), not {shown}",
                                      field=key, value=value, rule="range")
            if isinstance(number, (int, float)) and not isinstance(number, bool):
                if (low is not None and number < low) or (high is not None and number > high):
                    span = (f"from {low} to {high}" if low is not None and high is not None
                            else f"at least {low}" if low is not None else f"at most {high}")
                    raise ValidationError(f"setting {key!r} must be {span}, not {number}",
                                          field=key, value=value, rule="range")
        return checked

    def install(self) -> None:
        """Create what the module needs (fields, templates, pages). Runs once, before it is marked
        installed."""

    def uninstall(self) -> None:
        """Remove what `install()` made; raise to refuse (the module stays installed)."""

    def upgrade(self, from_version: str, to_version: str) -> None:
        """Bring an installed module's data up to a new version. It runs once across processes,
        under the schema lock, with this process's fields and templates read again first."""

    def init(self) -> None:
        """Called once per process when the module is first loaded (add hooks here)."""

    def close(self) -> None:
        """Called by `site.close()`: end what the module started in this process (a thread,
        a connection of its own), or the process keeps it after the site is gone. The site
        may be used again afterwards, so start such things again when they are needed."""

    def message(self, text: str, debug: bool = False) -> None:
        self.site.notices.message(text, source=self.name, debug=debug)

    def warning(self, text: str, debug: bool = False) -> None:
        self.site.notices.warning(text, source=self.name, debug=debug)

    def error(self, text: str, debug: bool = False) -> None:
        self.site.notices.error(text, source=self.name, debug=debug)

    def __repr__(self) -> str:
        return f"<Module {self.name}>"


TRUE_TEXT, FALSE_TEXT = ("1", "on", "true", "yes"), ("0", "off", "false", "no", "")
WANTED = {bool: "on or off (1 or 0)", int: "a whole number", float: "a number", str: "text"}


def converted_setting(key: str, value: Any, default: Any) -> Any:
    """`value` as the type of `default` (bool, int, float, str; any value when the default is
    None or of another type). Text is read as a form sends it; ValidationError otherwise."""
    kind = type(default)
    if kind not in WANTED:
        return value
    is_number = isinstance(value, (int, float)) and not isinstance(value, bool)
    text = value.strip().lower() if isinstance(value, str) else None
    if kind is bool:
        if isinstance(value, bool) or value in (0, 1):
            return bool(value)
        if text in TRUE_TEXT or text in FALSE_TEXT:
            return text in TRUE_TEXT
    elif kind is int:
        if isinstance(value, int) or (is_number and float(value).is_integer()):
            return int(value)
        if text is not None and text.removeprefix("-").isdecimal():
            return int_of_digits(text)      # past 64 bits, refused by the range check
    elif kind is float:
        if is_number:
            return float(value)
        if text:
            try:
                return float(text)
            except ValueError:
                pass
    elif isinstance(value, str) or is_number:
        return str(value)
    raise ValidationError(f"setting {key!r} must be {WANTED[kind]}, not {value!r}", field=key,
                          value=value, rule="type")
