"""A ProcessWire-style page-tree CMS with Tasker: long jobs in time-boxed, resumable steps.

    import cms
    site = cms.boot()                        # sqlite:///./site.db unless told otherwise
    site.pages.find("template=basic-page, sort=-created, limit=10")
    tasker = site.modules.get("Tasker")
"""
from .errors import (
    CmsError,
    DatabaseError,
    ModuleError,
    PageError,
    PageLocked,
    PermissionDenied,
    SchemaError,
    SelectorError,
    ValidationError,
)
from .hooks import HookEvent, hookable
from .module import Module
from .page import NullPage, Page, PageArray
from .site import Site, boot, wire

__all__ = [
    "boot", "wire", "Site", "Page", "NullPage", "PageArray", "Module", "HookEvent", "hookable",
    "CmsError", "DatabaseError", "SchemaError", "SelectorError", "ValidationError", "PageError",
    "PageLocked", "ModuleError", "PermissionDenied",
]
__version__ = "0.1.0"
