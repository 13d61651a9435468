"""`cms.Module`: the base of every module, Tasker included."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    from .site import Site


class Module:
    """Subclass this to add behaviour to a site.

    `info` names and versions the module (a changed version runs `upgrade()` once);
    `config_defaults` are the settings `site.modules.get_config()` starts from; `task_methods`
    lists the methods the web API may start as tasks (anything else is refused there, though
    Python callers may pass any public method to Tasker).
    """

    info: ClassVar[dict[str, Any]] = {"title": "", "version": "0.0.1", "summary": ""}
    config_defaults: ClassVar[dict[str, Any]] = {}
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

    def install(self) -> None:
        """Create what the module needs (fields, templates, pages). Runs once, before it is marked
        installed."""

    def uninstall(self) -> None:
        """Remove what `install()` made; raise to refuse (the module stays installed)."""

    def upgrade(self, from_version: str, to_version: str) -> None:
        """Bring an installed module's data up to a new version."""

    def init(self) -> None:
        """Called once per process when the module is first loaded (add hooks here)."""

    def message(self, text: str, debug: bool = False) -> None:
        self.site.notices.message(text, source=self.name, debug=debug)

    def warning(self, text: str, debug: bool = False) -> None:
        self.site.notices.warning(text, source=self.name, debug=debug)

    def error(self, text: str, debug: bool = False) -> None:
        self.site.notices.error(text, source=self.name, debug=debug)

    def __repr__(self) -> str:
        return f"<Module {self.name}>"
